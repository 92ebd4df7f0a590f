/* Integer normalisations (deploy/golden/norm.py): iLayerNorm, iRMSNorm over the last axis
 * (rows dealt in contiguous blocks) and the element-wise iNoNorm (contiguous element blocks). */
#include "kernels.h"
#include "kernels_common.h"
#include "requant_common.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE int32_t load8(const void *p, uint32_t i, int is_unsigned) {
    return is_unsigned ? (int32_t)((const uint8_t *)p)[i] : (int32_t)((const int8_t *)p)[i];
}

/* norm._std: isqrt(int32(trunc(int32(sum(int16(c)^2)) / N) + 1)) over values x - center. */
ALWAYS_INLINE int32_t row_std(const void *x, int is_unsigned, int32_t center, uint32_t n) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        int32_t c = (int16_t)(load8(x, i, is_unsigned) - center);
        sum += (uint32_t)(c * c);
    }
    int32_t variance = (int32_t)sum / (int32_t)n;
    return plp_isqrt(wrap_add(variance, 1));
}

/* trunc_div by a std that may be 0 (golden: numpy integer division by zero gives 0). */
static inline int64_t div_std(int64_t n, int32_t std) { return std ? div64(n, std) : 0; }

ALWAYS_INLINE void layer_norm(const void *in, int is_unsigned, const int32_t *weight, const int32_t *bias, int8_t *out,
                              uint32_t rows, uint32_t n, uint32_t log2d, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (n == 0) return;
    for (uint32_t r = first; r < last; r++) {
        const void *x = (const int8_t *)in + r * n;
        int8_t *o = out + r * n;
        uint32_t sum = 0;
        for (uint32_t i = 0; i < n; i++) sum += (uint32_t)load8(x, i, is_unsigned);
        const int32_t mean = (int32_t)sum / (int32_t)n;
        const int32_t std = row_std(x, is_unsigned, mean, n);
        for (uint32_t i = 0; i < n; i++) {
            int64_t scaled = (int64_t)(load8(x, i, is_unsigned) - mean) * weight[i];
            int64_t y = (div_std(scaled, std) + bias[i]) >> log2d;
            o[i] = (int8_t)y;
        }
    }
}

void kernel_ilayernorm_s8(const int8_t *in, const int32_t *weight, const int32_t *bias, int8_t *out, uint32_t rows,
                          uint32_t n, uint32_t log2d, uint32_t core, uint32_t cores) {
    layer_norm(in, 0, weight, bias, out, rows, n, log2d, core, cores);
}

void kernel_ilayernorm_u8(const uint8_t *in, const int32_t *weight, const int32_t *bias, int8_t *out,
                          uint32_t rows, uint32_t n, uint32_t log2d, uint32_t core, uint32_t cores) {
    layer_norm(in, 1, weight, bias, out, rows, n, log2d, core, cores);
}

void kernel_irmsnorm_s8(const int8_t *in, const int32_t *weight, int8_t *out, uint32_t rows, uint32_t n,
                        uint32_t log2d, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (n == 0) return;
    for (uint32_t r = first; r < last; r++) {
        const int8_t *x = in + r * n;
        int8_t *o = out + r * n;
        const int32_t std = row_std(x, 0, 0, n);
        for (uint32_t i = 0; i < n; i++) {
            int32_t scaled = wrap_mul(x[i], weight[i]);
            int32_t y = sra32(std ? scaled / std : 0, log2d);
            if (y < -128) y = -128;
            if (y > 127) y = 127;
            o[i] = (int8_t)y;
        }
    }
}

/* iNoNorm of one element; shift = min(log2d, 31) (see requant_common.h's requant_shift_amount). */
ALWAYS_INLINE int8_t no_norm_value(int32_t x, int32_t w, int32_t b, uint32_t mul, uint32_t shift) {
    uint32_t affine = (uint32_t)(x * w) + (uint32_t)b;
    return (int8_t)((int32_t)(affine * mul) >> shift);
}

/* n elements whose weight and bias advance with the element (step 1) or stay (step 0: a scalar);
 * the steps are compile-time constants in each instance, four elements per iteration. */
ALWAYS_INLINE void no_norm_run(const int8_t *x, const int8_t *w, const uint32_t w_step, const int32_t *b,
                               const uint32_t b_step, int8_t *o, uint32_t n, uint32_t mul, uint32_t shift) {
    const int8_t *stop = x + (n & ~3u);
    for (; x != stop; x += 4, o += 4, w += 4 * w_step, b += 4 * b_step) {
        int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        o[0] = no_norm_value(x0, w[0], b[0], mul, shift);
        o[1] = no_norm_value(x1, w[w_step], b[b_step], mul, shift);
        o[2] = no_norm_value(x2, w[2 * w_step], b[2 * b_step], mul, shift);
        o[3] = no_norm_value(x3, w[3 * w_step], b[3 * b_step], mul, shift);
    }
    for (stop = x + (n & 3u); x != stop; x++, o++, w += w_step, b += b_step) *o = no_norm_value(*x, *w, *b, mul, shift);
}

/* The block is cut where the weights' or the bias's index wraps (once per row when both are per
 * feature), so the element loop keeps no counters. */
void kernel_inonorm_s8(const int8_t *in, const int8_t *weights, uint32_t w_len, const int32_t *bias, uint32_t b_len,
                       int8_t *out, uint32_t size, int32_t mul, uint32_t log2d, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    const uint32_t w_step = w_len > 1, b_step = b_len > 1, shift = requant_shift_amount(log2d);
    uint32_t i = first, wi = param_index(first, w_len), bi = param_index(first, b_len);
    while (i < last) {
        const uint32_t n = param_run(last - i, w_len, wi, b_len, bi);
        const int8_t *x = in + i, *w = weights + wi;
        const int32_t *b = bias + bi;
        if (w_step && b_step) no_norm_run(x, w, 1, b, 1, out + i, n, (uint32_t)mul, shift);
        else if (w_step) no_norm_run(x, w, 1, b, 0, out + i, n, (uint32_t)mul, shift);
        else if (b_step) no_norm_run(x, w, 0, b, 1, out + i, n, (uint32_t)mul, shift);
        else no_norm_run(x, w, 0, b, 0, out + i, n, (uint32_t)mul, shift);
        i += n;
        wi = param_index_after(wi, n, w_len);
        bi = param_index_after(bi, n, b_len);
    }
}
