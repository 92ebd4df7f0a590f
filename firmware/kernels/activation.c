/* Integer activations (deploy/golden/activation.py), element-wise int8 -> int32; each core
 * takes a contiguous block of elements. */
#include "kernels.h"
#include "kernels_common.h"

/* iGELU (I-BERT, `GELU_s8_s32`): q = min(|x|, -b); L = sgn(x)*(one - (q+b)^2);
 * y = x * ((one + L) >> 1), every product and sum wrapped to int32. */
void kernel_igelu_s8s32(const int8_t *in, int32_t *out, uint32_t size, int8_t b, int16_t one, uint32_t core,
                        uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    const int32_t limit = -(int32_t)b;
    for (uint32_t i = first; i < last; i++) {
        const int32_t x = in[i];
        const int32_t sign = (x > 0) - (x < 0);
        int32_t q = x < 0 ? -x : x;
        if (q > limit) q = limit;
        const int32_t d = q + b;
        const int32_t curve = wrap_mul(sign, wrap_sub(one, wrap_mul(d, d)));
        out[i] = wrap_mul(x, wrap_add(one, curve) >> 1);
    }
}

/* iHardswish (`iHardswish_s8_s32`): y = x * int32(clip(x + three, 0, six) * one_over_six),
 * clip as numpy's (max with 0 first, then min with six). */
void kernel_ihardswish_s8s32(const int8_t *in, int32_t *out, uint32_t size, int32_t one_over_six, int32_t six,
                             int32_t three, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(size, core, cores, &first, &last);
    for (uint32_t i = first; i < last; i++) {
        const int32_t x = in[i];
        int64_t v = (int64_t)x + three;
        if (v < 0) v = 0;
        if (v > six) v = six;
        out[i] = wrap_mul(x, wrap_mul((int32_t)v, one_over_six));
    }
}
