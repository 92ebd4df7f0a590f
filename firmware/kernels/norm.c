/* Integer normalisations (deploy/golden/norm.py): iLayerNorm, iRMSNorm over the last axis
 * (rows dealt in contiguous blocks) and the element-wise iNoNorm (contiguous element blocks). */
#include "kernels.h"
#include "kernels_common.h"

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

void kernel_inonorm_s8(const int8_t *in, const int8_t *weights, uint32_t w_len, const int32_t *bias, uint32_t b_len,
                       int8_t *out, uint32_t size, int32_t mul, uint32_t log2d, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    if (first >= last) return;
    if (w_len == 0) w_len = 1;
    if (b_len == 0) b_len = 1;
    uint32_t wi = first % w_len, bi = first % b_len;
    for (uint32_t i = first; i < last; i++) {
        int32_t affine = wrap_add((int32_t)in[i] * weights[wi], bias[bi]);
        out[i] = (int8_t)sra32(wrap_mul(affine, mul), log2d);
        if (++wi == w_len) wi = 0;
        if (++bi == b_len) bi = 0;
    }
}
