/* RequantShift (deploy/golden/requant.py):
 *   out = clip(int32(x*mul + add + 2^(log2d-1)) >> log2d, lo, hi)
 * The int64 sum wrapped to int32 equals the uint32 sum, so everything is done modulo 2^32; the
 * rounding constant is folded into add once per channel run. Each core takes a contiguous block
 * of elements. Runs of one (mul, add) pair (per tensor, or inner > 1) go through an unrolled
 * loop with the pair in registers; per-last-axis parameters (inner == 1) walk the channels with
 * pointers that restart at the end of each row, so no counter or division is in the inner loop. */
#include "kernels.h"
#include "kernels_common.h"
#include "requant_common.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* in_kind: 0 int32, 1 int8, 2 uint8 (a compile-time constant in every instance) */
ALWAYS_INLINE uint32_t in_size(int in_kind) { return in_kind == 0 ? 4 : 1; }

ALWAYS_INLINE int32_t load_in(const void *in, uint32_t i, int in_kind) {
    return in_kind == 0 ? ((const int32_t *)in)[i]
           : in_kind == 1 ? (int32_t)((const int8_t *)in)[i]
                          : (int32_t)((const uint8_t *)in)[i];
}

/* o[i] for i in [i, end) with one (mul, add + rounding) pair: four elements per iteration, the
 * loop kept by two pointers and an end pointer (3 instructions per 4 elements). */
ALWAYS_INLINE void requant_run(const void *in, int in_kind, uint8_t *o, uint32_t i, uint32_t end, uint32_t m,
                               uint32_t a, uint32_t shift, int32_t lo, int32_t hi) {
    const uint8_t *p = (const uint8_t *)in + i * in_size(in_kind);
    uint8_t *q = o + i, *stop = q + ((end - i) & ~3u);
    for (; q != stop; q += 4, p += 4 * in_size(in_kind)) {
        int32_t x0 = load_in(p, 0, in_kind), x1 = load_in(p, 1, in_kind);
        int32_t x2 = load_in(p, 2, in_kind), x3 = load_in(p, 3, in_kind);
        q[0] = (uint8_t)requant_value(x0, m, a, shift, lo, hi);
        q[1] = (uint8_t)requant_value(x1, m, a, shift, lo, hi);
        q[2] = (uint8_t)requant_value(x2, m, a, shift, lo, hi);
        q[3] = (uint8_t)requant_value(x3, m, a, shift, lo, hi);
    }
    for (stop = o + end; q != stop; q++, p += in_size(in_kind)) *q = (uint8_t)requant_value(load_in(p, 0, in_kind), m, a, shift, lo, hi);
}

/* Per last axis (inner == 1): element i uses channel i % len of mul (mul_len > 1) and of add. */
ALWAYS_INLINE void requant_last_axis(const void *in, int in_kind, uint8_t *o, uint32_t first, uint32_t last,
                                     const int32_t *mul, uint32_t mul_len, const int32_t *add, uint32_t add_len,
                                     uint32_t rounding, uint32_t shift, int32_t lo, int32_t hi) {
    const uint32_t len = mul_len > 1 ? mul_len : add_len;  /* the channel count (both, if both > 1) */
    const uint32_t mul_step = mul_len > 1, add_step = add_len > 1;
    uint32_t i = first, c = first % len;
    while (i < last) {
        uint32_t end = i + (len - c);
        if (end > last) end = last;
        const int32_t *mp = mul + (mul_step ? c : 0), *ap = add + (add_step ? c : 0);
        for (; i < end; i++) {
            o[i] = (uint8_t)requant_value(load_in(in, i, in_kind), (uint32_t)*mp, (uint32_t)*ap + rounding, shift, lo, hi);
            mp += mul_step;
            ap += add_step;
        }
        c = 0;
    }
}

ALWAYS_INLINE void requant_shift(const void *in, int in_kind, void *out, uint32_t size, const int32_t *mul,
                                 uint32_t mul_len, const int32_t *add, uint32_t add_len, uint32_t inner,
                                 uint32_t log2d, uint32_t n_levels, int is_signed, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    const int32_t lo = is_signed ? -(int32_t)(n_levels / 2) : 0;
    const int32_t hi = is_signed ? (int32_t)(n_levels / 2) - 1 : (int32_t)n_levels - 1;
    const uint32_t rounding = requant_rounding(log2d), shift = requant_shift_amount(log2d);
    uint8_t *o = (uint8_t *)out;
    if (inner == 0) inner = 1;
    if (inner == 1 && (mul_len > 1 || add_len > 1) && (mul_len <= 1 || add_len <= 1 || mul_len == add_len)) {
        requant_last_axis(in, in_kind, o, first, last, mul, mul_len, add, add_len, rounding, shift, lo, hi);
        return;
    }
    uint32_t channel = first / inner, pos = first % inner;
    uint32_t cm = mul_len > 1 ? channel % mul_len : 0, ca = add_len > 1 ? channel % add_len : 0;
    uint32_t i = first;
    while (i < last) {
        uint32_t run = inner - pos;
        if (run > last - i) run = last - i;
        requant_run(in, in_kind, o, i, i + run, (uint32_t)mul[cm], (uint32_t)add[ca] + rounding, shift, lo, hi);
        i += run;
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
