/* RequantShift (deploy/golden/requant.py):
 *   out = clip(int32(x*mul + add + 2^(log2d-1)) >> log2d, lo, hi)
 * The int64 sum wrapped to int32 equals the uint32 sum, so everything is done modulo 2^32; the
 * rounding constant is folded into add once per channel run. Each core takes a contiguous block
 * of elements and walks the channels with counters (no division per element). */
#include "kernels.h"
#include "kernels_common.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void requant_shift(const void *in, int in_kind, void *out, uint32_t size, const int32_t *mul,
                                 uint32_t mul_len, const int32_t *add, uint32_t add_len, uint32_t inner,
                                 uint32_t log2d, uint32_t n_levels, int is_signed, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    const int32_t lo = is_signed ? -(int32_t)(n_levels / 2) : 0;
    const int32_t hi = is_signed ? (int32_t)(n_levels / 2) - 1 : (int32_t)n_levels - 1;
    const uint32_t rounding = log2d > 0 && log2d < 33 ? 1u << (log2d - 1) : 0;
    uint8_t *o = (uint8_t *)out;
    if (inner == 0) inner = 1;
    uint32_t channel = first / inner, pos = first % inner;
    uint32_t cm = mul_len > 1 ? channel % mul_len : 0, ca = add_len > 1 ? channel % add_len : 0;
    uint32_t i = first;
    while (i < last) {
        uint32_t run = inner - pos;
        if (run > last - i) run = last - i;
        const uint32_t m = (uint32_t)mul[cm], a = (uint32_t)add[ca] + rounding;
        for (uint32_t end = i + run; i < end; i++) {
            int32_t x = in_kind == 0 ? ((const int32_t *)in)[i]
                        : in_kind == 1 ? (int32_t)((const int8_t *)in)[i]
                                       : (int32_t)((const uint8_t *)in)[i];
            int32_t v = sra32((int32_t)((uint32_t)x * m + a), log2d);
            if (v < lo) v = lo;
            if (v > hi) v = hi;
            o[i] = (uint8_t)v;
        }
        pos = 0;
        if (mul_len > 1 && ++cm == mul_len) cm = 0;
        if (add_len > 1 && ++ca == add_len) ca = 0;
    }
}

void kernel_requant_shift_s32(const int32_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                              const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d,
                              uint32_t n_levels, int is_signed, uint32_t core, uint32_t cores) {
    requant_shift(in, 0, out, size, mul, mul_len, add, add_len, inner, log2d, n_levels, is_signed, core, cores);
}

void kernel_requant_shift_s8(const int8_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                             const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d, uint32_t n_levels,
                             int is_signed, uint32_t core, uint32_t cores) {
    requant_shift(in, 1, out, size, mul, mul_len, add, add_len, inner, log2d, n_levels, is_signed, core, cores);
}

void kernel_requant_shift_u8(const uint8_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                             const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d, uint32_t n_levels,
                             int is_signed, uint32_t core, uint32_t cores) {
    requant_shift(in, 2, out, size, mul, mul_len, add, add_len, inner, log2d, n_levels, is_signed, core, cores);
}
