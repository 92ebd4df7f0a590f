/* ITA driver (PLATFORM.md section 4, docs/ita-layouts.md, docs/platform-notes.md "ITA").
 *
 * Low level: the HWPE register file. A job is one 64 x 64 output tile over one 64-deep inner
 * tile; ITA derives the step of each job (Q, K, V, QK, AV, OW / F1, F2 / MatMul) from the mode
 * and tile counts programmed by ita_configure(), so jobs must come in sequence order: per step,
 * output tiles one after the other, the inner tiles of each consecutively (output only on the
 * last), QK output tiles of a query group left to right, each query group's QK before its AV.
 *
 * High level (ita.c): whole steps, an attention head and a feed-forward block, run by the DMA
 * core, which double-buffers the tiles through L1 with the DMA. Operands are tile-major
 * matrices (tile (i, j) of an R x C matrix at ((i * C/64) + j) * 4096) anywhere in L1 or L2;
 * biases are 64 packed 24-bit values (192 B) per output tile. */
#ifndef ITA_H
#define ITA_H

#include <stddef.h>
#include <stdint.h>
#include "snitch_cluster.h"

#define ITA_TILE 64u
#define ITA_TILE_BYTES 4096u
#define ITA_BIAS_BYTES 192u

enum ita_mode { ITA_ATTENTION = 0, ITA_FEEDFORWARD = 1, ITA_LINEAR = 2, ITA_SINGLE_ATTENTION = 3 };
enum ita_activation { ITA_IDENTITY = 0, ITA_GELU = 1, ITA_RELU = 2 };
enum ita_step { ITA_STEP_IDLE = 0, ITA_STEP_Q, ITA_STEP_K, ITA_STEP_V, ITA_STEP_QK, ITA_STEP_AV,
                ITA_STEP_OW, ITA_STEP_F1, ITA_STEP_F2, ITA_STEP_MATMUL };
/* requantization set indices (EPS_MULT0/1, RIGHT_SHIFT0/1, ADD0/1 bytes) */
enum ita_rq { ITA_RQ_Q = 0, ITA_RQ_K, ITA_RQ_V, ITA_RQ_QK, ITA_RQ_AV, ITA_RQ_OW, ITA_RQ_F1, ITA_RQ_F2 };

/* CTRL_STREAM bits */
#define ITA_WEIGHT_PRELOAD (1u << 0)
#define ITA_WEIGHT_NEXTLOAD (1u << 1)
#define ITA_BIAS_DISABLE (1u << 2)
#define ITA_BIAS_DIRECTION (1u << 3)
#define ITA_OUTPUT_DISABLE (1u << 4)

/* Requantization sets, activation (F1 and Linear) and its constants: 32 bytes. */
typedef struct {
    uint8_t eps_mult[8];
    uint8_t right_shift[8];
    int8_t add[8];
    int16_t gelu_b, gelu_c;
    uint8_t act_mult, act_shift;
    int8_t act_add;
    uint8_t activation; /* enum ita_activation */
} ita_params_t;

#define ITA_REG(addr) (*(volatile uint32_t *)(addr))

static inline uint32_t ita_tiles(uint32_t s, uint32_t e, uint32_t p, uint32_t f) {
    return (s / ITA_TILE) | (e / ITA_TILE) << 4 | (p / ITA_TILE) << 8 | (f / ITA_TILE) << 12;
}
static inline int32_t ita_acquire(void) { return (int32_t)ITA_REG(ITA_REG_ACQUIRE); }
static inline uint32_t ita_finished(void) { return ITA_REG(ITA_REG_FINISHED); }
static inline uint32_t ita_status(void) { return ITA_REG(ITA_REG_STATUS); }
static inline int ita_busy(void) { return ita_status() & 1u; }
static inline uint32_t ita_next_step(void) { return ita_status() >> 8 & 0xFu; }

/* Wait for job `id` (ids count from 0 after SOFT_CLEAR) by polling FINISHED. */
static inline void ita_wait_job(uint32_t id) {
    while (ita_finished() <= id)
        ;
    asm volatile("" ::: "memory");
}
/* Wait until ITA is idle, sleeping in wfi between checks (completion is a cluster event). */
static inline void ita_wait_idle(void) {
    while (ita_busy()) asm volatile("wfi" ::: "memory");
}
/* Reset the job sequence, job ids and internal state (ITA must be idle). */
static inline void ita_soft_clear(void) { ITA_REG(ITA_REG_SOFT_CLEAR) = 1; }

/* Program the sequence registers: mode, sizes (multiples of 64), requantization and activation. */
void ita_configure(uint32_t mode, uint32_t s, uint32_t e, uint32_t p, uint32_t f, const ita_params_t *params);

/* Queue one job (waits for a free job context); returns its id. Pointers are L1 addresses;
 * weight1 is used with ITA_WEIGHT_NEXTLOAD, bias unless ITA_BIAS_DISABLE, output unless
 * ITA_OUTPUT_DISABLE. */
uint32_t ita_job(const void *input, const void *weight0, const void *weight1, const void *bias, void *output,
                 uint32_t ctrl_stream);

/* -- whole steps and layers, on the DMA core (tiles double-buffered through L1) ---------------- */

/* One step: out(i, j) = requant(sum_k in(i, k) w(j, k)^T + bias) for output row tiles
 * row0 .. row0+nrows-1 and column tiles 0 .. cols-1, inner tiles 0 .. inner-1. Matrices are
 * tile-major; `in` has `inner` tile columns, `w` is cols x inner tiles, `out` has `cols` tile
 * columns. bias: 192 B per output column tile (per row tile with ITA_BIAS_DIRECTION), or NULL.
 * ITA must have been configured for the sequence this step belongs to. */
typedef struct {
    const int8_t *in;
    const int8_t *w;
    const uint8_t *bias;
    int8_t *out;
    uint32_t row0, nrows, cols, inner;
    uint32_t stream; /* extra CTRL_STREAM bits (ITA_BIAS_DIRECTION) */
} ita_matmul_t;
void ita_run_matmul(const ita_matmul_t *m);
/* Several steps of one job sequence in one pipeline: ITA keeps going from one step to the next,
 * except where a step reads what an earlier one wrote to L2 (then that is waited for). */
void ita_run_steps(const ita_matmul_t *steps, uint32_t n_steps);

/* One attention head (Attention mode): Q = X_q Wq^T, K = X_kv Wk^T, V^T = Wv^T X_kv^T, per query
 * group A = QK^T and O = ITAMax(A) V, then out = O Wo^T. Every pointer may be in L1 or L2;
 * q, k, vt, a, o are scratch matrices of S x P, S x P, P x S, S x S, S x P. Biases may be NULL. */
typedef struct {
    uint32_t s, e, p; /* S, E, P: multiples of 64 */
    const int8_t *x_q, *x_kv;                     /* S x E */
    const int8_t *wq, *wk, *wv;                   /* P x E (out x in) */
    const int8_t *wo;                             /* E x P */
    const uint8_t *bq, *bk, *bv, *bo;             /* packed 24-bit: P, P, P, E values */
    int8_t *q, *k, *vt, *a, *o;                   /* scratch */
    int8_t *out;                                  /* S x E */
    const ita_params_t *params;
} ita_attention_t;
void ita_attention_head(const ita_attention_t *h);

/* One feed-forward block (Feedforward mode): h = act(requant(x W1^T + b1)), y = requant(h W2^T + b2). */
typedef struct {
    uint32_t s, e, f; /* S, E, F: multiples of 64 */
    const int8_t *x;        /* S x E */
    const int8_t *w1;       /* F x E */
    const int8_t *w2;       /* E x F */
    const uint8_t *b1, *b2; /* packed 24-bit: F, E values */
    int8_t *h;              /* S x F (scratch; the F1 output) */
    int8_t *out;            /* S x E */
    const ita_params_t *params;
} ita_ffn_t;
void ita_feedforward(const ita_ffn_t *f);

#endif
