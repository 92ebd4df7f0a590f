/* Integer kernels for the layers that run on the Snitch compute cores (the "baseline cluster"
 * and everything ITA cannot do). Semantics: bit-exact with the deploy flow's numpy golden
 * executor (deploy/golden/, itself bit-exact with Deeploy's Generic kernels); each function
 * names the golden function it mirrors.
 *
 * Parallel contract (every kernel):
 *   - The caller runs the kernel on every compute core it wants to use, with the same
 *     arguments except `core` (0..cores-1); normally core = snrt_cluster_core_idx() and
 *     cores = snrt_cluster_compute_core_num(). Any cores >= 1 gives the same result.
 *   - Each core computes its own share of the output (a fixed function of core, cores and the
 *     sizes) and writes nothing else; there is no barrier, lock or atomic inside. The output is
 *     complete once every core has returned: the caller synchronises (snrt_cluster_hw_barrier)
 *     before anyone reads it.
 *   - Buffers are plain pointers into L1 or L2 (no DMA, no malloc, no static state). Inputs are
 *     only read. An output must not overlap an input, except in place where the output element
 *     has the input element's size: RequantShift s8/u8 and iNoNorm (out == in), Add s32s32
 *     (out == a, the full-size operand; never a broadcast b), the residual block (out == a or b).
 *   - Pointers must be aligned to their element type (the cluster faults on misaligned access).
 *   - Arithmetic is C integer arithmetic as the golden code spells it: int32 results wrap
 *     modulo 2^32, int64 where the golden uses int64, truncating division, arithmetic shifts.
 *
 * Shapes: tensors are dense, row-major (C order). "rows x n" kernels normalise over the last
 * axis: rows = product of the other dimensions, n = the last dimension.
 */
#ifndef KERNELS_H
#define KERNELS_H

#include <stdint.h>

/* ------------------------------------------------------------------ GEMM / MatMul (linear.py)
 * y[b] = a[b] @ b[b] with int32 accumulation (wraps): a is m x k, b is k x n, y is m x n, all
 * row-major; batch matrices are a_batch_stride / b_batch_stride elements apart (0 broadcasts one
 * matrix to every batch, e.g. a weight), y batches m*n apart. u8s8: a unsigned (softmax @ V).
 * Work: units of (batch, 2 rows, a range of 8-column blocks) dealt round-robin to the cores;
 * with fewer row pairs than cores the columns are split too. Inner loop: 2.875 instr/MAC
 * (gemm.c). Parameters are lower-case so that -DM=.. -DN=.. -DK=.. in a program do not clash. */
void kernel_matmul_s8s8(const int8_t *a, const int8_t *b, int32_t *y, uint32_t batch, uint32_t m, uint32_t n,
                        uint32_t k, uint32_t a_batch_stride, uint32_t b_batch_stride, uint32_t core, uint32_t cores);
void kernel_matmul_u8s8(const uint8_t *a, const int8_t *b, int32_t *y, uint32_t batch, uint32_t m, uint32_t n,
                        uint32_t k, uint32_t a_batch_stride, uint32_t b_batch_stride, uint32_t core, uint32_t cores);

/* Gemm (linear.gemm): y = alpha * (op(a) @ op(b)) + beta * c, every step int32 (wraps).
 * op(a) is m x k (a stored k x m if trans_a), op(b) is k x n (b stored n x k if trans_b).
 * c (int32, may be NULL) broadcasts to m x n as c[i*c_row_stride + j*c_col_stride]:
 * full [m,n]: (n, 1); [n] or [1,n]: (0, 1); [m,1]: (1, 0); scalar: (0, 0). The plain and trans_a
 * layouts use the fast 2x8 tile; trans_b uses a strided 2x4 tile (about 3.6 instr/MAC). */
void kernel_gemm_s8s8(const int8_t *a, const int8_t *b, const int32_t *c, int32_t *y, uint32_t m, uint32_t n,
                      uint32_t k, int trans_a, int trans_b, int32_t alpha, int32_t beta, uint32_t c_row_stride,
                      uint32_t c_col_stride, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ RequantShift (requant.py)
 * out[i] = clip((in[i]*mul[c] + add[c] + 2^(log2d-1)) wrapped to int32, >> log2d) with
 * c = (i / inner) % mul_len for mul and (i / inner) % add_len for add: a length of 1 is
 * per-tensor, a length of `channels` is per channel of the tensor seen as [outer, channels,
 * inner] (per row of a 2-D [m,n]: len m, inner n; per last axis [C]: len C, inner 1).
 * Bounds: signed [-(n_levels/2), n_levels/2 - 1], unsigned [0, n_levels - 1]; n_levels <= 256,
 * the output is int8 (signed) or uint8 (unsigned) bytes. log2d = log2(div), 0..31. */
void kernel_requant_shift_s32(const int32_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                              const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d,
                              uint32_t n_levels, int is_signed, uint32_t core, uint32_t cores);
void kernel_requant_shift_s8(const int8_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                             const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d, uint32_t n_levels,
                             int is_signed, uint32_t core, uint32_t cores);
void kernel_requant_shift_u8(const uint8_t *in, void *out, uint32_t size, const int32_t *mul, uint32_t mul_len,
                             const int32_t *add, uint32_t add_len, uint32_t inner, uint32_t log2d, uint32_t n_levels,
                             int is_signed, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ Add (elementwise.add)
 * out[i] = a[i] + b[i % b_len] in int32 (wraps): b_len == size is element-wise, b_len == 1 a
 * scalar, b_len == last dimension a bias broadcast along the last axis (size % b_len == 0).
 * Add is commutative: pass the broadcast operand as b. */
void kernel_add_s8s8(const int8_t *a, const int8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores);
void kernel_add_s8u8(const int8_t *a, const uint8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores);
void kernel_add_u8u8(const uint8_t *a, const uint8_t *b, int32_t *out, uint32_t size, uint32_t b_len, uint32_t core,
                     uint32_t cores);
void kernel_add_s32s32(const int32_t *a, const int32_t *b, int32_t *out, uint32_t size, uint32_t b_len,
                       uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ residual block (residual.c)
 * The layer deploy/lowering/residual.py fuses: y = RQ_y(int32(RQ_a(a) + RQ_b(b))), each RQ a
 * per-tensor RequantShift as above, then, if norm_w is not NULL, y = iNoNorm(y). The
 * requantizations come as tables (deploy/lowering/residual_tables.py builds them):
 *   y = rq_y[rq_a[byte of a[i]] + rq_b[byte of b[i]]]
 * rq_a, rq_b: 256 entries (RQ(value) - its lower bound), so a and b may be int8 or uint8; rq_y:
 * one entry per reachable sum (at most 511), the byte of y. iNoNorm: norm_w[i % w_len] and
 * norm_b[i % b_len] are the weight and bias times the iNoNorm's mul (int32, wrapped), then
 * y = int8(int32(y*norm_w + norm_b) >> norm_log2d) (no clamp). a, b and y have `size` elements
 * (no broadcast); y may be a or b (in place). */
void kernel_residual_requant_lut(const void *a, const void *b, void *out, uint32_t size, const uint8_t *rq_a,
                                 const uint8_t *rq_b, const int8_t *rq_y, const int32_t *norm_w, uint32_t w_len,
                                 const int32_t *norm_b, uint32_t b_len, uint32_t norm_log2d, uint32_t core,
                                 uint32_t cores);

/* ------------------------------------------------------------------ softmaxes (softmax.py)
 * Over the last axis of rows x n; results are the unsigned values q = 0..n_levels-1 as uint8
 * (n_levels <= 256), stored as q ^ out_xor: 0 for the golden's bytes, 0x80 for the int8 q - 128
 * that ITA's signed A.V step reads (deploy/lowering/ita.py); rows dealt in contiguous blocks. */

/* iSoftmax (I-BERT, softmax.i_softmax). log2 > 0. A row whose y-sum is 0 mod 2^32 (golden
 * error) gives unspecified values. scratch: NULL (the exponentials are computed twice), or
 * cores*n words, core c using words [c*n, (c+1)*n). */
void kernel_isoftmax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, int32_t coeff_a,
                          int32_t coeff_b, int32_t coeff_c, int32_t log2, uint32_t n_levels, uint32_t *scratch,
                          uint32_t out_xor, uint32_t core, uint32_t cores);
/* ITAMax, Deeploy's whole-row variant (softmax.ita_max). */
void kernel_itamax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, uint32_t n_levels,
                        uint32_t out_xor, uint32_t core, uint32_t cores);
/* ITAPartialMax, Deeploy's variant (softmax.ita_partial_max): running max from -128, groups of
 * group_width columns (group_width <= n), numerator (n_levels/2 - 1)*256, n_levels >= 2. */
void kernel_itapartialmax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, uint32_t group_width,
                               uint32_t n_levels, uint32_t out_xor, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ normalisations (norm.py)
 * Over the last axis of rows x n; rows dealt in contiguous blocks. */

/* iLayerNorm (norm.i_layer_norm): weight, bias int32[n]; int8 result wraps (no clamp); log2d 0..63. */
void kernel_ilayernorm_s8(const int8_t *in, const int32_t *weight, const int32_t *bias, int8_t *out, uint32_t rows,
                          uint32_t n, uint32_t log2d, uint32_t core, uint32_t cores);
void kernel_ilayernorm_u8(const uint8_t *in, const int32_t *weight, const int32_t *bias, int8_t *out,
                          uint32_t rows, uint32_t n, uint32_t log2d, uint32_t core, uint32_t cores);
/* iRMSNorm (norm.i_rms_norm): weight int32[n]; result clamped to int8. */
void kernel_irmsnorm_s8(const int8_t *in, const int32_t *weight, int8_t *out, uint32_t rows, uint32_t n,
                        uint32_t log2d, uint32_t core, uint32_t cores);
/* iNoNorm (norm.i_no_norm), element-wise over `size` elements: weights int8 and bias int32
 * broadcast over trailing axes (index i % w_len, i % b_len); int8 result wraps (no clamp). */
void kernel_inonorm_s8(const int8_t *in, const int8_t *weights, uint32_t w_len, const int32_t *bias, uint32_t b_len,
                       int8_t *out, uint32_t size, int32_t mul, uint32_t log2d, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ activations (activation.py)
 * Element-wise, int32 results; contiguous element blocks per core. The parameter types are
 * the C kernels' (b int8, one int16): out-of-range attributes wrap as the call would. */
void kernel_igelu_s8s32(const int8_t *in, int32_t *out, uint32_t size, int8_t b, int16_t one, uint32_t core,
                        uint32_t cores);
void kernel_ihardswish_s8s32(const int8_t *in, int32_t *out, uint32_t size, int32_t one_over_six, int32_t six,
                             int32_t three, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ IntegerMean (reduce.py)
 * The input seen as [outer, reduce_len, inner] (the reduced axes must be adjacent); out is
 * [outer, inner]. keepdims selects the rounding exactly as the golden does. int8 -> int8. */
void kernel_integer_mean_s8(const int8_t *in, int8_t *out, uint32_t outer, uint32_t reduce_len, uint32_t inner,
                            int keepdims, uint32_t core, uint32_t cores);

/* ------------------------------------------------------------------ data movement (shape.py)
 * Element size 1, 2 or 4 bytes. */

/* Transpose (shape.transpose): out = np.transpose(in, perm), rank 1..KERNEL_TRANSPOSE_MAX_RANK;
 * in_shape[rank], perm[rank]. 2-D: rank 2, perm {1,0}; attention: [B,S,H,D] perm {0,2,1,3}
 * -> [B,H,S,D], K^T perm {0,2,3,1}. Output rows dealt in contiguous blocks. */
#define KERNEL_TRANSPOSE_MAX_RANK 6
void kernel_transpose(const void *in, void *out, uint32_t rank, const uint32_t *in_shape, const uint32_t *perm,
                      uint32_t elem_size, uint32_t core, uint32_t cores);

/* Gather (shape.gather): the input seen as [outer, axis_len, inner]; out is
 * [outer, num_indices, inner]; indices in [-axis_len, axis_len) (negative count from the end). */
void kernel_gather(const void *in, void *out, const int32_t *indices, uint32_t num_indices, uint32_t outer,
                   uint32_t axis_len, uint32_t inner, uint32_t elem_size, uint32_t core, uint32_t cores);

/* The block [*first, *last) of n items that core `core` of `cores` takes (contiguous, sizes
 * differ by at most one). */
static inline void kernel_share(uint32_t n, uint32_t core, uint32_t cores, uint32_t *first, uint32_t *last) {
    uint32_t base = n / cores, extra = n % cores;
    *first = core * base + (core < extra ? core : extra);
    *last = *first + base + (core < extra ? 1 : 0);
}

#endif
