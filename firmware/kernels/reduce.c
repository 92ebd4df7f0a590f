/* IntegerMean (deploy/golden/reduce.py): sum over the reduced axes (int32 accumulator, wraps),
 * then (acc + L/2) >> log2(L) if L is a power of two > 1 and keepdims is 0, else
 * trunc((acc + sgn(acc)*(L>>1)) / L) (sgn(0) = +1), both in int64; the int8 store wraps.
 * Each core takes a contiguous block of the outer*inner output elements. */
#include "kernels.h"
#include "kernels_common.h"

void kernel_integer_mean_s8(const int8_t *in, int8_t *out, uint32_t outer, uint32_t reduce_len, uint32_t inner,
                            int keepdims, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(outer * inner, core, cores, &first, &last);
    if (first >= last) return;
    const uint32_t len = reduce_len;
    int shift = -1; /* log2(L) when the shift form applies */
    if (!keepdims && len > 1 && (len & (len - 1)) == 0) shift = __builtin_ctz(len);
    uint32_t o = first / inner, j = first % inner;
    for (uint32_t e = first; e < last; e++) {
        const int8_t *x = in + o * len * inner + j;
        uint32_t acc = 0;
        for (uint32_t r = 0; r < len; r++, x += inner) acc += (uint32_t)(int32_t)*x;
        const int64_t a = (int32_t)acc;
        int64_t mean;
        if (shift >= 0)
            mean = (a + ((int64_t)1 << (shift - 1))) >> shift;
        else
            mean = len ? div64(a + (a < 0 ? -(int64_t)(len >> 1) : (int64_t)(len >> 1)), (int32_t)len) : 0;
        out[e] = (int8_t)mean;
        if (++j == inner) {
            j = 0;
            o++;
        }
    }
}
