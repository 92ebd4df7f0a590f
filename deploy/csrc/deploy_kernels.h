/* Kernels the deploy flow needs that firmware/kernels/ does not have (yet): the data movement
 * of a 2-D convolution (im2col, the multiply-accumulates then run on kernel_gemm_s8s8) and 2-D
 * max pooling. Same parallel contract as firmware/kernels/kernels.h: called on every compute
 * core with the same arguments but `core`; each core writes its own share; no barrier inside
 * (the caller barriers); bit-exact with the golden executor (deploy/golden/spatial.py).
 *
 * Images are NCHW, row-major. Padding: pad_top/pad_left before, the output size fixes the rest
 * (positions past the input are padding too). */
#ifndef DEPLOY_KERNELS_H
#define DEPLOY_KERNELS_H

#include <stdint.h>

/* cols[(c*kh + i)*kw + j][oy*wo + ox] = x[c][oy*sh - pad_top + i*dh][ox*sw - pad_left + j*dw],
 * 0 where that position is padding. x is one image (channels x h x w); cols is
 * (channels*kh*kw) x (ho*wo) int8. Units of one cols row segment (row, oy) dealt in contiguous
 * blocks. */
void deploy_im2col_s8(const int8_t *x, int8_t *cols, uint32_t channels, uint32_t h, uint32_t w, uint32_t kh,
                      uint32_t kw, uint32_t sh, uint32_t sw, uint32_t pad_top, uint32_t pad_left, uint32_t dh,
                      uint32_t dw, uint32_t ho, uint32_t wo, uint32_t core, uint32_t cores);

/* y[p][oy][ox] = max over the kh x kw window (dilated) of plane p of x, padding counting as the
 * type minimum (golden max_pool). `planes` = N*C. Output rows (p, oy) dealt in contiguous blocks. */
void deploy_maxpool2d_s8(const int8_t *x, int8_t *y, uint32_t planes, uint32_t h, uint32_t w, uint32_t kh,
                         uint32_t kw, uint32_t sh, uint32_t sw, uint32_t pad_top, uint32_t pad_left, uint32_t dh,
                         uint32_t dw, uint32_t ho, uint32_t wo, uint32_t core, uint32_t cores);
void deploy_maxpool2d_u8(const uint8_t *x, uint8_t *y, uint32_t planes, uint32_t h, uint32_t w, uint32_t kh,
                         uint32_t kw, uint32_t sh, uint32_t sw, uint32_t pad_top, uint32_t pad_left, uint32_t dh,
                         uint32_t dw, uint32_t ho, uint32_t wo, uint32_t core, uint32_t cores);

#endif
