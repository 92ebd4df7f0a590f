/* ITA layers of the deploy flow, run by the DMA core (deploy/lowering/ita.py generates the calls).
 *
 * ITA reads and writes L1 only, one 64 x 64 int8 tile per operand and job (docs/ita-layouts.md).
 * The graph's activations stay where the memory plan put them (row-major, in L1 or L2), the
 * weights are constants in L2, laid out by the flow as ITA's weight tiles (tile-major, out x in,
 * zero padded) with packed 24-bit biases. These functions stream every tile a job needs into a
 * static L1 region with the DMA and every output tile back out:
 *
 *   - a GATHER operand is a strided matrix: element (r, c) at base + r*ld + c (bytes). A tile is
 *     one 2-D DMA transfer (up to 64 rows of up to 64 bytes, source stride ld, destination stride
 *     64) into a 4 KiB slot; rows/columns past the matrix are zero in the slot (the padding of
 *     docs/ita-layouts.md; results are cropped). A full tile already in L1 with ld == 64 and 64 B
 *     alignment is used in place.
 *   - a TILED operand is tile-major and padded: tile (i, j) at base + (i*ld + j)*4096, one 1-D
 *     4 KiB transfer (none if it is in L1).
 *   - outputs: ITA writes a 4 KiB slot, the DMA scatters its valid rows/columns to
 *     out + r*out_ld + c (2-D); a full, aligned tile of an L1 matrix with out_ld == 64 is written in
 *     place.
 *
 * Software pipeline (one job = one 64x64 output tile over one 64-deep inner tile): job n+1's
 * tiles are staged by the DMA while ITA computes job n, output tiles are scattered one job later.
 * Input and weight slots are small LRU caches keyed by the tile's source address (reset at every
 * call): a tile used again while it is still held (the same input row tile for every output
 * column tile when the inner dimension is short; all weight tiles when they fit) is not fetched
 * again. Waiting (DMA completion, ITA job completion) sleeps in wfi between checks.
 *
 * The bytes these calls move count into deploy_dma_bytes (deploy_tiles.h). */
#ifndef DEPLOY_ITA_H
#define DEPLOY_ITA_H

#include <stdint.h>

#define DITA_GATHER 0u
#define DITA_TILED 1u

#define DITA_TILE 64u
#define DITA_TILE_BYTES 4096u
#define DITA_BIAS_BYTES 192u
#define DITA_MAX_SLOTS 32u
#define DITA_OUT_SLOTS 2u
#define DITA_BIAS_SLOTS 2u

typedef struct {
    const int8_t *base;
    uint32_t ld;          /* GATHER: bytes from one row to the next; TILED: tiles per tile row */
    uint16_t rows, cols;  /* logical size (GATHER: what lies inside the matrix) */
    uint8_t kind;         /* DITA_GATHER or DITA_TILED */
} dita_operand_t;

/* out (m x n) = requant(in (m x k) . w (n x k)^T + bias), in Linear mode (requantization set 0),
 * for `batch` matrices (heads): matrix b's operands start `*_step` bytes after matrix b-1's.
 * bias: 192 B per output column tile (per output row tile with bias_rows), or NULL. */
typedef struct {
    dita_operand_t in, w;
    const uint8_t *bias;
    int8_t *out;
    uint32_t out_ld;
    uint16_t m, n, k;
    uint8_t bias_rows;
    uint8_t eps_mult, right_shift;
    int8_t add;
    uint16_t batch;
    int32_t in_step, w_step, bias_step, out_step;
} dita_matmul_t;

/* One head in SingleAttention mode: per 64-row query group, A = requant_qk(Q K^T) into an L1
 * buffer (never leaves L1), then out = requant_av(softmax(A) V) with the softmax applied by ITA on
 * the fly (the variant the ITA is configured with). q, k: s x p; vt: p x s; out: s x p. */
typedef struct {
    dita_operand_t q, k, vt;
    int8_t *out;
    uint32_t out_ld;
    uint16_t s, p;
    uint8_t eps_qk, shift_qk;
    int8_t add_qk;
    uint8_t eps_av, shift_av;
    int8_t add_av;
} dita_attention_t;

/* The static L1 region: the driver's state (DITA_STATE_BYTES), in_slots + w_slots + DITA_OUT_SLOTS
 * tiles, DITA_BIAS_SLOTS biases, then logits_bytes for the attention's query group. */
typedef struct {
    int8_t *base;
    uint16_t in_slots, w_slots;
    uint32_t logits_bytes;
} dita_region_t;

#define DITA_STATE_BYTES 2048u
#define DITA_REGION_BYTES(in_slots, w_slots, logits_bytes) \
    (DITA_STATE_BYTES + ((in_slots) + (w_slots) + DITA_OUT_SLOTS) * DITA_TILE_BYTES + DITA_BIAS_SLOTS * 256u + (logits_bytes))

void dita_matmul(const dita_matmul_t *op, const dita_region_t *region);
void dita_attention(const dita_attention_t *op, const dita_region_t *region);

/* Operand preparation on the compute cores (deploy_ita_prep.c; parallel contract of kernels.h) for
 * an ITA step whose input is unsigned (uint8 u, read by ITA as the int8 u - 128):
 *
 * dita_unsigned_offset: x[i] ^= 0x80 for i < n, in place (u becomes u - 128). Only for producers
 * that cannot store u ^ 0x80 themselves (the softmaxes do: their out_xor, kernels.h).
 *
 * dita_unsigned_bias: the bias that gives back the unsigned product of A.V (weight V, an
 * activation): for each of `heads` heads and p < p_len, 128 * sum_{s < s_len} vt[h*head_step +
 * p*ld + s], packed 24-bit, 64 values per output tile (zero past p_len), ceil(p_len/64)*192 bytes
 * per head, head after head. */
void dita_unsigned_offset(uint8_t *x, uint32_t n, uint32_t core, uint32_t cores);
void dita_unsigned_bias(const int8_t *vt, uint32_t ld, uint32_t head_step, uint32_t heads, uint32_t p_len,
                        uint32_t s_len, uint8_t *bias, uint32_t core, uint32_t cores);

#endif
