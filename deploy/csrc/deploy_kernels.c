/* Deploy-side kernels (see deploy_kernels.h): im2col for Conv, 2-D MaxPool. */
#include "deploy_kernels.h"

#include "kernels.h"

void deploy_im2col_s8(const int8_t *x, int8_t *cols, uint32_t channels, uint32_t h, uint32_t w, uint32_t kh,
                      uint32_t kw, uint32_t sh, uint32_t sw, uint32_t pad_top, uint32_t pad_left, uint32_t dh,
                      uint32_t dw, uint32_t ho, uint32_t wo, uint32_t core, uint32_t cores) {
    const uint32_t rows = channels * kh * kw;
    uint32_t first, last;
    kernel_share(rows * ho, core, cores, &first, &last);
    for (uint32_t unit = first; unit < last; unit++) {
        const uint32_t row = unit / ho, oy = unit % ho;
        const uint32_t c = row / (kh * kw), i = row / kw % kh, j = row % kw;
        int8_t *out = cols + row * ho * wo + oy * wo;
        const int32_t iy = (int32_t)(oy * sh + i * dh) - (int32_t)pad_top;
        if (iy < 0 || iy >= (int32_t)h) {
            for (uint32_t ox = 0; ox < wo; ox++) out[ox] = 0;
            continue;
        }
        const int8_t *in = x + (c * h + (uint32_t)iy) * w;
        int32_t ix = (int32_t)(j * dw) - (int32_t)pad_left;
        for (uint32_t ox = 0; ox < wo; ox++, ix += (int32_t)sw)
            out[ox] = (ix >= 0 && ix < (int32_t)w) ? in[ix] : 0;
    }
}

#define MAXPOOL(NAME, T, LOWEST)                                                                                   \
    void NAME(const T *x, T *y, uint32_t planes, uint32_t h, uint32_t w, uint32_t kh, uint32_t kw, uint32_t sh,     \
              uint32_t sw, uint32_t pad_top, uint32_t pad_left, uint32_t dh, uint32_t dw, uint32_t ho, uint32_t wo,  \
              uint32_t core, uint32_t cores) {                                                                     \
        uint32_t first, last;                                                                                      \
        kernel_share(planes * ho, core, cores, &first, &last);                                                     \
        for (uint32_t unit = first; unit < last; unit++) {                                                         \
            const uint32_t p = unit / ho, oy = unit % ho;                                                          \
            const T *plane = x + p * h * w;                                                                        \
            T *out = y + unit * wo;                                                                                \
            for (uint32_t ox = 0; ox < wo; ox++) {                                                                 \
                int32_t best = LOWEST;                                                                             \
                for (uint32_t i = 0; i < kh; i++) {                                                                \
                    const int32_t iy = (int32_t)(oy * sh + i * dh) - (int32_t)pad_top;                            \
                    if (iy < 0 || iy >= (int32_t)h) continue;                                                      \
                    for (uint32_t j = 0; j < kw; j++) {                                                            \
                        const int32_t ix = (int32_t)(ox * sw + j * dw) - (int32_t)pad_left;                       \
                        if (ix < 0 || ix >= (int32_t)w) continue;                                                  \
                        const int32_t v = plane[(uint32_t)iy * w + (uint32_t)ix];                                  \
                        if (v > best) best = v;                                                                    \
                    }                                                                                              \
                }                                                                                                  \
                out[ox] = (T)best;                                                                                 \
            }                                                                                                      \
        }                                                                                                          \
    }

MAXPOOL(deploy_maxpool2d_s8, int8_t, -128)
MAXPOOL(deploy_maxpool2d_u8, uint8_t, 0)
