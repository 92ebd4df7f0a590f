/* The residual block as one kernel (deploy/lowering/residual.py groups it):
 *   y = RequantShift_y(int32(RequantShift_a(a) + RequantShift_b(b)))   [then iNoNorm(y)]
 * with per-tensor requantization parameters. Every intermediate is what the separate kernels
 * compute and store (each operand clipped to its 8-bit bounds, the int32 sum, the clipped y), it
 * just stays in registers: one pass over the data instead of four, no intermediate buffers.
 * Contiguous element blocks per core; with iNoNorm the block is cut where the weights' or the
 * bias's index wraps (once per row for per-feature parameters), so the element loop has no
 * counters. */
#include "kernels.h"
#include "kernels_common.h"
#include "requant_common.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

typedef struct {
    uint32_t mul, add, shift; /* add holds the rounding constant, shift = min(log2d, 31) */
    int32_t lo, hi;
} requant_t;

ALWAYS_INLINE requant_t requant_params(const int32_t *p) {
    requant_t r = {(uint32_t)p[0], (uint32_t)p[1] + requant_rounding((uint32_t)p[2]),
                   requant_shift_amount((uint32_t)p[2]), p[3], p[4]};
    return r;
}

/* a_kind / b_kind: 0 int8, 1 uint8 (compile-time constants in each instance) */
ALWAYS_INLINE int32_t load8(const void *p, uint32_t i, int kind) {
    return kind ? (int32_t)((const uint8_t *)p)[i] : (int32_t)((const int8_t *)p)[i];
}

ALWAYS_INLINE int32_t residual_value(int32_t x, int32_t z, const requant_t *ra, const requant_t *rb,
                                     const requant_t *ry) {
    int32_t sum = requant_value(x, ra->mul, ra->add, ra->shift, ra->lo, ra->hi) +
                  requant_value(z, rb->mul, rb->add, rb->shift, rb->lo, rb->hi);
    return requant_value(sum, ry->mul, ry->add, ry->shift, ry->lo, ry->hi);
}

ALWAYS_INLINE int32_t no_norm_value(int32_t y, int32_t w, int32_t bias, uint32_t mul, uint32_t shift) {
    uint32_t affine = (uint32_t)(y * w) + (uint32_t)bias;
    return (int32_t)(affine * mul) >> shift;
}

/* n elements, two per iteration (four would run out of registers: each requantization keeps five
 * parameters in registers); with `norm`, weight and bias advance with the element (step 1) or stay
 * (step 0). */
ALWAYS_INLINE void residual_run(const void *a, int a_kind, const void *b, int b_kind, uint8_t *o, uint32_t n,
                                const requant_t *ra, const requant_t *rb, const requant_t *ry, int norm,
                                const int8_t *w, const uint32_t w_step, const int32_t *bias, const uint32_t b_step,
                                uint32_t norm_mul, uint32_t norm_shift) {
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    for (uint8_t *stop = o + (n & ~1u); o != stop; o += 2, pa += 2, pb += 2, w += 2 * w_step, bias += 2 * b_step) {
        int32_t y0 = residual_value(load8(pa, 0, a_kind), load8(pb, 0, b_kind), ra, rb, ry);
        int32_t y1 = residual_value(load8(pa, 1, a_kind), load8(pb, 1, b_kind), ra, rb, ry);
        if (norm) {
            y0 = no_norm_value(y0, w[0], bias[0], norm_mul, norm_shift);
            y1 = no_norm_value(y1, w[w_step], bias[b_step], norm_mul, norm_shift);
        }
        o[0] = (uint8_t)y0;
        o[1] = (uint8_t)y1;
    }
    if (n & 1u) {
        int32_t y = residual_value(load8(pa, 0, a_kind), load8(pb, 0, b_kind), ra, rb, ry);
        *o = (uint8_t)(norm ? no_norm_value(y, *w, *bias, norm_mul, norm_shift) : y);
    }
}

ALWAYS_INLINE void residual(const void *a, int a_kind, const void *b, int b_kind, void *out, uint32_t size,
                            const int32_t *rq, const int8_t *norm_w, uint32_t w_len, const int32_t *norm_b,
                            uint32_t b_len, int32_t norm_mul, uint32_t norm_log2d, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    const requant_t ra = requant_params(rq), rb = requant_params(rq + 5), ry = requant_params(rq + 10);
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint8_t *o = (uint8_t *)out;
    if (!norm_w) {
        residual_run(pa + first, a_kind, pb + first, b_kind, o + first, last - first, &ra, &rb, &ry, 0, 0, 0, 0, 0,
                     0, 0);
        return;
    }
    const uint32_t w_step = w_len > 1, b_step = b_len > 1, shift = requant_shift_amount(norm_log2d);
    uint32_t i = first, wi = w_step ? first % w_len : 0, bi = b_step ? first % b_len : 0;
    while (i < last) {
        uint32_t n = last - i;
        if (w_step && n > w_len - wi) n = w_len - wi;
        if (b_step && n > b_len - bi) n = b_len - bi;
        const int8_t *w = norm_w + wi;
        const int32_t *bias = norm_b + bi;
        if (w_step && b_step)
            residual_run(pa + i, a_kind, pb + i, b_kind, o + i, n, &ra, &rb, &ry, 1, w, 1, bias, 1, norm_mul, shift);
        else
            residual_run(pa + i, a_kind, pb + i, b_kind, o + i, n, &ra, &rb, &ry, 1, w, w_step, bias, b_step, norm_mul,
                         shift);
        i += n;
        if (w_step && (wi += n) == w_len) wi = 0;
        if (b_step && (bi += n) == b_len) bi = 0;
    }
}

void kernel_residual_requant_s8s8(const int8_t *a, const int8_t *b, void *out, uint32_t size, const int32_t *rq,
                                  const int8_t *norm_w, uint32_t w_len, const int32_t *norm_b, uint32_t b_len,
                                  int32_t norm_mul, uint32_t norm_log2d, uint32_t core, uint32_t cores) {
    residual(a, 0, b, 0, out, size, rq, norm_w, w_len, norm_b, b_len, norm_mul, norm_log2d, core, cores);
}

void kernel_residual_requant_s8u8(const int8_t *a, const uint8_t *b, void *out, uint32_t size, const int32_t *rq,
                                  const int8_t *norm_w, uint32_t w_len, const int32_t *norm_b, uint32_t b_len,
                                  int32_t norm_mul, uint32_t norm_log2d, uint32_t core, uint32_t cores) {
    residual(a, 0, b, 1, out, size, rq, norm_w, w_len, norm_b, b_len, norm_mul, norm_log2d, core, cores);
}

void kernel_residual_requant_u8u8(const uint8_t *a, const uint8_t *b, void *out, uint32_t size, const int32_t *rq,
                                  const int8_t *norm_w, uint32_t w_len, const int32_t *norm_b, uint32_t b_len,
                                  int32_t norm_mul, uint32_t norm_log2d, uint32_t core, uint32_t cores) {
    residual(a, 1, b, 1, out, size, rq, norm_w, w_len, norm_b, b_len, norm_mul, norm_log2d, core, cores);
}
