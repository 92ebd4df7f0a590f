/* Add (deploy/golden/elementwise.add): out = int32(a + b), b broadcast as b[i % b_len].
 * Contiguous element blocks per core. The block is cut where b's index wraps, so each piece is
 * a plain unrolled loop over pointers (a scalar b stays in a register): no counter per element. */
#include "kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* kind: 0 int8, 1 uint8, 2 int32 (a compile-time constant in every instance) */
ALWAYS_INLINE int32_t load(const void *p, uint32_t i, int kind) {
    return kind == 0 ? (int32_t)((const int8_t *)p)[i]
           : kind == 1 ? (int32_t)((const uint8_t *)p)[i]
                       : ((const int32_t *)p)[i];
}

ALWAYS_INLINE uint32_t sum(int32_t x, int32_t y) { return (uint32_t)x + (uint32_t)y; }

/* out[k] = a[k] + b[k] for k < n (b_scalar: + b[0]); four elements per iteration. */
ALWAYS_INLINE void add_run(const void *a, int a_kind, const void *b, int b_kind, int b_scalar, int32_t *out,
                           uint32_t n) {
    const int32_t b0 = b_scalar ? load(b, 0, b_kind) : 0;
    uint32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        int32_t x0 = load(a, k, a_kind), x1 = load(a, k + 1, a_kind);
        int32_t x2 = load(a, k + 2, a_kind), x3 = load(a, k + 3, a_kind);
        int32_t y0 = b_scalar ? b0 : load(b, k, b_kind), y1 = b_scalar ? b0 : load(b, k + 1, b_kind);
        int32_t y2 = b_scalar ? b0 : load(b, k + 2, b_kind), y3 = b_scalar ? b0 : load(b, k + 3, b_kind);
        out[k] = (int32_t)sum(x0, y0);
        out[k + 1] = (int32_t)sum(x1, y1);
        out[k + 2] = (int32_t)sum(x2, y2);
        out[k + 3] = (int32_t)sum(x3, y3);
    }
    for (; k < n; k++) out[k] = (int32_t)sum(load(a, k, a_kind), b_scalar ? b0 : load(b, k, b_kind));
}

ALWAYS_INLINE const void *at(const void *p, uint32_t i, int kind) {
    return (const uint8_t *)p + i * (kind == 2 ? 4 : 1);
}

ALWAYS_INLINE void add(const void *a, int a_kind, const void *b, int b_kind, int32_t *out, uint32_t size,
                       uint32_t b_len, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    if (b_len <= 1) {
        add_run(at(a, first, a_kind), a_kind, b, b_kind, 1, out + first, last - first);
        return;
    }
    uint32_t i = first, j = first % b_len;
    while (i < last) {
        uint32_t n = b_len - j;
        if (n > last - i) n = last - i;
        add_run(at(a, i, a_kind), a_kind, at(b, j, b_kind), b_kind, 0, out + i, n);
        i += n;
        j = 0;
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
