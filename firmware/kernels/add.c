/* Add (deploy/golden/elementwise.add): out = int32(a + b), b broadcast as b[i % b_len].
 * Contiguous element blocks per core; the b index is a counter (no division per element). */
#include "kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* kind: 0 int8, 1 uint8, 2 int32 */
ALWAYS_INLINE int32_t load(const void *p, uint32_t i, int kind) {
    return kind == 0 ? (int32_t)((const int8_t *)p)[i]
           : kind == 1 ? (int32_t)((const uint8_t *)p)[i]
                       : ((const int32_t *)p)[i];
}

ALWAYS_INLINE void add(const void *a, int a_kind, const void *b, int b_kind, int32_t *out, uint32_t size,
                       uint32_t b_len, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    if (b_len == 0) b_len = 1;
    if (b_len == size) {
        for (uint32_t i = first; i < last; i++)
            out[i] = (int32_t)((uint32_t)load(a, i, a_kind) + (uint32_t)load(b, i, b_kind));
        return;
    }
    uint32_t j = first % b_len;
    for (uint32_t i = first; i < last; i++) {
        out[i] = (int32_t)((uint32_t)load(a, i, a_kind) + (uint32_t)load(b, j, b_kind));
        if (++j == b_len) j = 0;
    }
}

void kernel_add_s8s8(const int8_t *a, const int8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores) {
    add(a, 0, b, 0, out, size, b_len, core, cores);
}

void kernel_add_s8u8(const int8_t *a, const uint8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores) {
    add(a, 0, b, 1, out, size, b_len, core, cores);
}

void kernel_add_u8u8(const uint8_t *a, const uint8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores) {
    add(a, 1, b, 1, out, size, b_len, core, cores);
}

void kernel_add_s32s32(const int32_t *a, const int32_t *b, int32_t *out, uint32_t size, uint32_t b_len,
                       uint32_t core, uint32_t cores) {
    add(a, 2, b, 2, out, size, b_len, core, cores);
}
