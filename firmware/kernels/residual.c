/* The residual block as one kernel (deploy/lowering/residual.py groups it):
 *   y = RequantShift_y(int32(RequantShift_a(a) + RequantShift_b(b)))   [then iNoNorm(y)]
 * Each requantization is per tensor over a small domain, so the deploy flow hands it over as a
 * table (deploy/lowering/residual_tables.py): per element two byte loads, two table loads, an
 * add and a third table load replace three multiply-shift-clip sequences. The iNoNorm's weight and
 * bias come with its multiplier folded in, which leaves one multiply, one add and the shift.
 * Contiguous element blocks per core; with iNoNorm the block is cut where the weights' or the
 * bias's index wraps (once per row for per-feature parameters), so the element loop has no
 * counters. */
#include "kernels.h"
#include "kernels_common.h"
#include "requant_common.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define UNROLL 8 /* enough that the four pointer steps and the branch cost < 1 instruction per element */

typedef struct {
    const uint8_t *a, *b; /* operand byte -> requantized operand - its lower bound */
    const int8_t *y;      /* sum of two such entries -> y */
} tables_t;

ALWAYS_INLINE int32_t no_norm_value(int32_t y, const int32_t *w, const int32_t *bias, uint32_t shift) {
    return (int32_t)((uint32_t)y * (uint32_t)*w + (uint32_t)*bias) >> shift;
}

/* n elements; with `norm`, weight and bias advance with the element (step 1) or stay (step 0).
 * All operand bytes of an unrolled group are loaded before its first store, so out == a or b works
 * (element k of y depends on element k of a and b only). */
ALWAYS_INLINE void residual_run(const uint8_t *pa, const uint8_t *pb, uint8_t *o, uint32_t n, const tables_t *t,
                                int norm, const int32_t *w, const uint32_t w_step, const int32_t *bias,
                                const uint32_t b_step, uint32_t shift) {
    const uint8_t *ta = t->a, *tb = t->b;
    const int8_t *ty = t->y;
    for (uint8_t *stop = o + (n & ~(uint32_t)(UNROLL - 1)); o != stop;
         o += UNROLL, pa += UNROLL, pb += UNROLL, w += UNROLL * w_step, bias += UNROLL * b_step) {
        uint32_t xa[UNROLL], xb[UNROLL];
#pragma GCC unroll 8
        for (int k = 0; k < UNROLL; k++) xa[k] = pa[k], xb[k] = pb[k];
#pragma GCC unroll 8
        for (int k = 0; k < UNROLL; k++) {
            int32_t y = ty[ta[xa[k]] + tb[xb[k]]];
            o[k] = (uint8_t)(norm ? no_norm_value(y, w + k * w_step, bias + k * b_step, shift) : y);
        }
    }
    for (uint32_t k = 0; k < (n & (UNROLL - 1)); k++) {
        int32_t y = ty[ta[pa[k]] + tb[pb[k]]];
        o[k] = (uint8_t)(norm ? no_norm_value(y, w + k * w_step, bias + k * b_step, shift) : y);
    }
}

void kernel_residual_requant_lut(const void *a, const void *b, void *out, uint32_t size, const uint8_t *rq_a,
                                 const uint8_t *rq_b, const int8_t *rq_y, const int32_t *norm_w, uint32_t w_len,
                                 const int32_t *norm_b, uint32_t b_len, uint32_t norm_log2d, uint32_t core,
                                 uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    const tables_t t = {rq_a, rq_b, rq_y};
    const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
    uint8_t *o = (uint8_t *)out;
    if (!norm_w) {
        residual_run(pa + first, pb + first, o + first, last - first, &t, 0, 0, 0, 0, 0, 0);
        return;
    }
    const uint32_t w_step = w_len > 1, b_step = b_len > 1, shift = requant_shift_amount(norm_log2d);
    uint32_t i = first, wi = param_index(first, w_len), bi = param_index(first, b_len);
    while (i < last) {
        const uint32_t n = param_run(last - i, w_len, wi, b_len, bi);
        const int32_t *w = norm_w + wi, *bias = norm_b + bi;
        if (w_step && b_step)
            residual_run(pa + i, pb + i, o + i, n, &t, 1, w, 1, bias, 1, shift);
        else
            residual_run(pa + i, pb + i, o + i, n, &t, 1, w, w_step, bias, b_step, shift);
        i += n;
        wi = param_index_after(wi, n, w_len);
        bi = param_index_after(bi, n, b_len);
    }
}
