/* ITA layers of the deploy flow (see deploy_ita.h): job pipeline on the DMA core. */
#include "deploy_ita.h"
#include "deploy_tiles.h"

#include "dma.h"
#include "ita.h"
#include "kernels.h"
#include "snrt.h"

#define L1_END (SNRT_L1_BASE + 0x100000u)

/* zero tile in L2 (.bss, cleared at start-up): the source of the padding of partial tiles */
static int8_t zero_tile[DITA_TILE_BYTES] __attribute__((aligned(64)));

/* -- operands and tiles ------------------------------------------------------------------------ */

typedef struct {
    const int8_t *base;
    uint32_t ld;                 /* GATHER: bytes per row */
    uint32_t row_step, col_step; /* bytes from tile (i, j) to (i+1, j) and (i, j+1) */
    uint32_t last_i, last_j;     /* index of the last tile row / column */
    uint8_t last_rows, last_cols;
    uint8_t tiled;
    uint8_t in_place; /* every tile is used where it is (L1, 64 x 64 at row stride 64, aligned) */
} opnd_t;

static inline int in_l1(const void *p) {
    const uint32_t a = (uint32_t)p;
    return a >= SNRT_L1_BASE && a < L1_END;
}

static void opnd_init(opnd_t *o, const dita_operand_t *d) {
    const uint32_t rt = (d->rows + DITA_TILE - 1) / DITA_TILE, ct = (d->cols + DITA_TILE - 1) / DITA_TILE;
    o->base = d->base;
    o->ld = d->ld;
    o->tiled = d->kind == DITA_TILED;
    o->last_i = rt - 1;
    o->last_j = ct - 1;
    if (o->tiled) {
        o->row_step = d->ld * DITA_TILE_BYTES;
        o->col_step = DITA_TILE_BYTES;
        o->last_rows = o->last_cols = DITA_TILE;
        o->in_place = in_l1(d->base);
    } else {
        o->row_step = DITA_TILE * d->ld;
        o->col_step = DITA_TILE;
        o->last_rows = (uint8_t)(d->rows - o->last_i * DITA_TILE);
        o->last_cols = (uint8_t)(d->cols - o->last_j * DITA_TILE);
        o->in_place = d->ld == DITA_TILE && d->rows % DITA_TILE == 0 && d->cols == DITA_TILE && in_l1(d->base) &&
                      ((uint32_t)d->base & 63u) == 0;
    }
}

typedef struct {
    int8_t *buf;
    const void *tag;    /* source of the tile it holds (this call), NULL: none */
    int32_t job;        /* last ITA job reading it, -1: none */
    uint8_t rows, cols; /* extent of the part that may be non-zero (rows x cols from the top left) */
} slot_t;

typedef struct {
    slot_t in[DITA_MAX_SLOTS], w[DITA_MAX_SLOTS], bias[DITA_BIAS_SLOTS];
    int8_t *out_buf[DITA_OUT_SLOTS];
    snrt_dma_txid_t out_txid[DITA_OUT_SLOTS]; /* scatter of that slot's last output */
    uint32_t n_in, n_w;
    uint32_t out_next;
} pipe_t;

/* One job: where its tiles come from and where its output goes (filled by the iterators). */
typedef struct {
    const opnd_t *in_op, *w_op; /* in_op NULL: in_l1 is the input tile */
    const int8_t *in_l1;
    uint32_t in_i, in_j, in_key, w_i, w_j, w_key;
    const uint8_t *bias; /* source of 192 B, NULL: none */
    uint32_t bias_key;
    int8_t *out_l1; /* output written here directly (L1), else scattered to `out` */
    int8_t *out;
    uint32_t out_ld, out_rows, out_cols;
    uint8_t output; /* the last inner tile: ITA writes its output */
    uint32_t stream;
    /* staged */
    const int8_t *in, *w;
    const uint8_t *bias_l1;
    int8_t *dst; /* L1 address ITA writes, NULL: no output */
    slot_t *in_slot, *w_slot, *b_slot;
    int out_slot; /* -1: written in place */
    snrt_dma_txid_t txid;
} job_t;

/* The driver's working state lives in the first DITA_STATE_BYTES of the L1 region (the DMA core
 * touches it for every job); the iterators and a copy of the call's descriptor too. */
typedef struct {
    pipe_t pipe;
    job_t ring[2];
} core_state_t;
#define STATE(region) ((core_state_t *)(region)->base)
/* slot extents survive calls (L1 padding stays zero); tags do not */
static int8_t *saved_base;
static uint32_t saved_epoch;
static uint16_t saved_n_in, saved_n_w;

static inline void wait_dma(snrt_dma_txid_t txid) {
    while (snrt_dma_completed_id() < txid) asm volatile("wfi" ::: "memory");
}

static inline void wait_job(int32_t job) {
    if (job < 0) return;
    while ((int32_t)ita_finished() <= job) asm volatile("wfi" ::: "memory");
    asm volatile("" ::: "memory");
}

static snrt_dma_txid_t dma_1d(void *dst, const void *src, uint32_t bytes) {
    deploy_dma_bytes += bytes;
    return snrt_dma_start_1d(dst, src, bytes);
}

static snrt_dma_txid_t dma_2d(void *dst, const void *src, uint32_t row_bytes, uint32_t dst_stride,
                              uint32_t src_stride, uint32_t rows) {
    deploy_dma_bytes += row_bytes * rows;
    if (rows == 1 || (row_bytes == dst_stride && row_bytes == src_stride))
        return snrt_dma_start_1d(dst, src, row_bytes * rows);
    return snrt_dma_start_2d(dst, src, row_bytes, dst_stride, src_stride, rows);
}

static void pipe_init(pipe_t *p, const dita_region_t *r) {
    int8_t *at = r->base + DITA_STATE_BYTES;
    /* the cores' tiles use the same L1 work region between ITA layers: then nothing in it is known */
    const int fresh = saved_base != r->base || saved_n_in != r->in_slots || saved_n_w != r->w_slots ||
                      saved_epoch != dtile_work_epoch;
    p->n_in = r->in_slots;
    p->n_w = r->w_slots;
    for (uint32_t s = 0; s < p->n_in; s++, at += DITA_TILE_BYTES) {
        if (fresh) p->in[s] = (slot_t){at, 0, -1, 64, 64};
        p->in[s].tag = 0;
        p->in[s].job = -1;
    }
    for (uint32_t s = 0; s < p->n_w; s++, at += DITA_TILE_BYTES) {
        if (fresh) p->w[s] = (slot_t){at, 0, -1, 64, 64};
        p->w[s].tag = 0;
        p->w[s].job = -1;
    }
    for (uint32_t s = 0; s < DITA_OUT_SLOTS; s++, at += DITA_TILE_BYTES) {
        p->out_buf[s] = at;
        p->out_txid[s] = 0;
    }
    for (uint32_t s = 0; s < DITA_BIAS_SLOTS; s++, at += 256) p->bias[s] = (slot_t){at, 0, -1, 0, 0};
    p->out_next = 0;
    saved_base = r->base;
    saved_n_in = r->in_slots;
    saved_n_w = r->w_slots;
    saved_epoch = dtile_work_epoch;
}

/* L1 address of tile (i, j) of `o` in slot `key % n` (loaded unless it holds it already); *txid
 * becomes the last DMA transfer it needs. */
static inline const int8_t *stage_tile(slot_t *slots, uint32_t n, const opnd_t *o, uint32_t i, uint32_t j,
                                       uint32_t key, slot_t **used, snrt_dma_txid_t *txid) {
    const int8_t *src = o->base + i * o->row_step + j * o->col_step;
    if (o->in_place) {
        *used = 0;
        return src;
    }
    slot_t *s = &slots[key % n];
    *used = s;
    if (s->tag == src) return s->buf;
    wait_job(s->job);
    s->tag = src;
    if (o->tiled) {
        *txid = dma_1d(s->buf, src, DITA_TILE_BYTES);
        s->rows = s->cols = DITA_TILE;
        return s->buf;
    }
    const uint32_t rows = i == o->last_i ? o->last_rows : DITA_TILE;
    const uint32_t cols = j == o->last_j ? o->last_cols : DITA_TILE;
    if (s->rows > rows || s->cols > cols) { /* bytes outside the new tile may be non-zero */
        *txid = dma_1d(s->buf, zero_tile, DITA_TILE_BYTES);
        s->rows = s->cols = 0;
    }
    *txid = dma_2d(s->buf, src, cols, DITA_TILE, o->ld, rows);
    if (rows > s->rows) s->rows = (uint8_t)rows;
    if (cols > s->cols) s->cols = (uint8_t)cols;
    return s->buf;
}

static void stage(pipe_t *p, job_t *job) {
    job->txid = 0;
    if (job->in_op) {
        job->in = stage_tile(p->in, p->n_in, job->in_op, job->in_i, job->in_j, job->in_key, &job->in_slot, &job->txid);
    } else {
        job->in = job->in_l1;
        job->in_slot = 0;
    }
    job->w = stage_tile(p->w, p->n_w, job->w_op, job->w_i, job->w_j, job->w_key, &job->w_slot, &job->txid);
    job->bias_l1 = 0;
    job->b_slot = 0;
    if (job->bias) {
        slot_t *s = &p->bias[job->bias_key % DITA_BIAS_SLOTS];
        if (s->tag != job->bias) {
            wait_job(s->job);
            job->txid = dma_1d(s->buf, job->bias, DITA_BIAS_BYTES);
            s->tag = job->bias;
        }
        job->b_slot = s;
        job->bias_l1 = (const uint8_t *)s->buf;
    }
    job->dst = 0;
    job->out_slot = -1;
    if (job->output) {
        if (job->out_l1) {
            job->dst = job->out_l1;
        } else if (job->out_rows == DITA_TILE && job->out_cols == DITA_TILE && job->out_ld == DITA_TILE &&
                   in_l1(job->out) && ((uint32_t)job->out & 63u) == 0) {
            job->dst = job->out;
        } else {
            job->out_slot = (int)p->out_next;
            job->dst = p->out_buf[p->out_next];
            p->out_next ^= 1u;
        }
    }
}

static inline void trigger(const job_t *job, int32_t *id) {
    int32_t got;
    while ((got = ita_acquire()) < 0)
        ;
    ITA_REG(ITA_REG_INPUT_PTR) = (uint32_t)job->in;
    ITA_REG(ITA_REG_WEIGHT_PTR0) = (uint32_t)job->w;
    if (job->bias_l1) ITA_REG(ITA_REG_BIAS_PTR) = (uint32_t)job->bias_l1;
    if (job->dst) ITA_REG(ITA_REG_OUTPUT_PTR) = (uint32_t)job->dst;
    ITA_REG(ITA_REG_CTRL_STREAM) = ITA_WEIGHT_PRELOAD | (job->bias_l1 ? 0u : ITA_BIAS_DISABLE) |
                                   (job->output ? 0u : ITA_OUTPUT_DISABLE) | job->stream;
    ITA_REG(ITA_REG_TRIGGER) = 0;
    *id = got;
}

typedef struct {
    int32_t job; /* -1: none */
    int slot;
    int8_t *dst;
    uint32_t ld, rows, cols;
} pending_t;

static void flush(pipe_t *p, pending_t *pend) {
    if (pend->job < 0) return;
    wait_job(pend->job);
    p->out_txid[pend->slot] = dma_2d(pend->dst, p->out_buf[pend->slot], pend->cols, pend->ld, DITA_TILE, pend->rows);
    pend->job = -1;
}

typedef int (*job_fn)(void *ctx, job_t *job); /* fills the next job; 0: none left */

/* Run the jobs of `next` on ITA (configured by the caller for their sequence). Job n+1 is staged
 * while job n runs; the output of job n is scattered once job n+1 is queued and staged (its loads
 * go first in the DMA queue). */
static void run_jobs(const dita_region_t *region, job_fn next, void *ctx) {
    pipe_t *p = &STATE(region)->pipe;
    job_t *ring = STATE(region)->ring;
    pipe_init(p, region);
    pending_t pend = {-1, 0, 0, 0, 0, 0};
    int32_t last = -1;
    int have = next(ctx, &ring[0]);
    if (have) stage(p, &ring[0]);
    for (uint32_t n = 0; have; n++) {
        job_t *cur = &ring[n & 1], *nxt = &ring[(n + 1) & 1];
        if (cur->txid) wait_dma(cur->txid);
        if (cur->out_slot >= 0 && p->out_txid[cur->out_slot]) wait_dma(p->out_txid[cur->out_slot]);
        trigger(cur, &last);
        if (cur->in_slot) cur->in_slot->job = last;
        if (cur->w_slot) cur->w_slot->job = last;
        if (cur->b_slot) cur->b_slot->job = last;
        pending_t done = pend;
        pend.job = -1;
        if (cur->out_slot >= 0)
            pend = (pending_t){last, cur->out_slot, cur->out, cur->out_ld, cur->out_rows, cur->out_cols};
        have = next(ctx, nxt);
        if (have) stage(p, nxt);
        flush(p, &done);
    }
    flush(p, &pend);
    wait_job(last);
    snrt_dma_wait_all();
}

/* -- Linear ------------------------------------------------------------------------------------- */

static inline uint32_t tiles(uint32_t n) { return (n + DITA_TILE - 1) / DITA_TILE; }
static inline uint32_t part(uint32_t n, uint32_t t) {
    const uint32_t rest = n - t * DITA_TILE;
    return rest < DITA_TILE ? rest : DITA_TILE;
}

typedef struct {
    const dita_matmul_t *op;
    opnd_t in, w;
    uint32_t b, i, j, kk, mt, nt, kt;
    int8_t *out_row; /* output tile row i of matrix b */
    const uint8_t *bias;
    uint32_t key_base; /* slot keys of matrix b follow those of b-1 */
} matmul_it_t;

static int matmul_next(void *ctx, job_t *job) {
    matmul_it_t *it = ctx;
    const dita_matmul_t *op = it->op;
    if (it->i == it->mt) { /* the next matrix (moved here: the previous job is staged by now) */
        if (++it->b >= op->batch) return 0;
        it->i = 0;
        it->in.base += op->in_step;
        it->w.base += op->w_step;
        it->in.in_place = it->in.in_place && ((uint32_t)it->in.base & 63u) == 0;
        it->w.in_place = it->w.in_place && ((uint32_t)it->w.base & 63u) == 0;
        if (it->bias) it->bias += op->bias_step;
        it->out_row = op->out + (int32_t)it->b * op->out_step;
        it->key_base += it->mt * it->kt + it->nt * it->kt;
    }
    const uint32_t i = it->i, j = it->j, kk = it->kk;
    job->in_op = &it->in;
    job->in_i = i;
    job->in_j = kk;
    job->in_key = it->key_base + i * it->kt + kk;
    job->w_op = &it->w;
    job->w_i = j;
    job->w_j = kk;
    job->w_key = it->key_base + j * it->kt + kk;
    job->output = kk == it->kt - 1;
    job->bias = 0;
    if (job->output) {
        job->bias_key = op->bias_rows ? i : j;
        if (it->bias) job->bias = it->bias + job->bias_key * DITA_BIAS_BYTES;
        job->out_l1 = 0;
        job->out = it->out_row + j * DITA_TILE;
        job->out_ld = op->out_ld;
        job->out_rows = part(op->m, i);
        job->out_cols = part(op->n, j);
    }
    job->stream = op->bias_rows ? ITA_BIAS_DIRECTION : 0u;
    if (++it->kk == it->kt) {
        it->kk = 0;
        if (++it->j == it->nt) {
            it->j = 0;
            it->i++;
            it->out_row += DITA_TILE * op->out_ld;
        }
    }
    return 1;
}

static ita_params_t params_with(uint32_t set, uint8_t eps, uint8_t shift, int8_t add) {
    ita_params_t prm = {0};
    for (uint32_t s = 0; s < 8; s++) prm.eps_mult[s] = 1;
    prm.eps_mult[set] = eps;
    prm.right_shift[set] = shift;
    prm.add[set] = add;
    prm.activation = ITA_IDENTITY;
    return prm;
}

void dita_matmul(const dita_matmul_t *op, const dita_region_t *region) {
    ita_wait_idle();
    ita_params_t prm = params_with(ITA_RQ_Q, op->eps_mult, op->right_shift, op->add);
    /* one sequence per output tile: S = F = 64, E = the inner dimension */
    ita_configure(ITA_LINEAR, DITA_TILE, tiles(op->k) * DITA_TILE, DITA_TILE, DITA_TILE, &prm);
    typedef struct {
        core_state_t core;
        matmul_it_t it;
        dita_matmul_t op;
    } state_t;
    _Static_assert(sizeof(state_t) <= DITA_STATE_BYTES, "ITA driver state exceeds its L1 area");
    state_t *st = (state_t *)region->base;
    st->op = *op;
    op = &st->op;
    matmul_it_t *itp = &st->it;
#define it (*itp)
    it.op = op;
    opnd_init(&it.in, &op->in);
    opnd_init(&it.w, &op->w);
    it.b = it.i = it.j = it.kk = it.key_base = 0;
    it.bias = op->bias;
    it.mt = tiles(op->m);
    it.nt = tiles(op->n);
    it.kt = tiles(op->k);
    it.out_row = op->out;
    run_jobs(region, matmul_next, &it);
#undef it
}

/* -- SingleAttention ---------------------------------------------------------------------------- */

typedef struct {
    const dita_attention_t *op;
    opnd_t q, k, vt;
    int8_t *logits; /* ts tiles of the current query group, in L1 */
    uint32_t ts, tp;
    uint32_t g, phase, a, b; /* group; 0: QK (a = key tile, b = inner), 1: AV (a = output tile, b = key tile) */
} attention_it_t;

static int attention_next(void *ctx, job_t *job) {
    attention_it_t *it = ctx;
    if (it->g == it->ts) return 0;
    const dita_attention_t *op = it->op;
    const uint32_t ts = it->ts, tp = it->tp, g = it->g, a = it->a, b = it->b;
    job->bias = 0;
    job->stream = 0;
    if (it->phase == 0) { /* QK: key tile a, inner tile b */
        job->in_op = &it->q;
        job->in_i = g;
        job->in_j = b;
        job->in_key = g * tp + b;
        job->w_op = &it->k;
        job->w_i = a;
        job->w_j = b;
        job->w_key = a * tp + b;
        job->output = b == tp - 1;
        job->out_l1 = it->logits + a * DITA_TILE_BYTES;
        if (++it->b == tp) {
            it->b = 0;
            if (++it->a == ts) it->a = 0, it->phase = 1;
        }
    } else { /* AV: output column tile a, inner (key) tile b */
        job->in_op = 0;
        job->in_l1 = it->logits + b * DITA_TILE_BYTES;
        job->w_op = &it->vt;
        job->w_i = a;
        job->w_j = b;
        job->w_key = ts * tp + a * ts + b;
        job->output = b == ts - 1;
        job->out_l1 = 0;
        job->out = op->out + g * DITA_TILE * op->out_ld + a * DITA_TILE;
        job->out_ld = op->out_ld;
        job->out_rows = DITA_TILE;
        job->out_cols = part(op->p, a);
        if (++it->b == ts) {
            it->b = 0;
            if (++it->a == tp) it->a = 0, it->phase = 0, it->g++;
        }
    }
    return 1;
}

void dita_attention(const dita_attention_t *op, const dita_region_t *region) {
    ita_wait_idle();
    ita_params_t prm = params_with(ITA_RQ_QK, op->eps_qk, op->shift_qk, op->add_qk);
    prm.eps_mult[ITA_RQ_AV] = op->eps_av;
    prm.right_shift[ITA_RQ_AV] = op->shift_av;
    prm.add[ITA_RQ_AV] = op->add_av;
    ita_configure(ITA_SINGLE_ATTENTION, op->s, DITA_TILE, tiles(op->p) * DITA_TILE, DITA_TILE, &prm);
    typedef struct {
        core_state_t core;
        attention_it_t it;
        dita_attention_t op;
    } state_t;
    _Static_assert(sizeof(state_t) <= DITA_STATE_BYTES, "ITA driver state exceeds its L1 area");
    state_t *st = (state_t *)region->base;
    st->op = *op;
    op = &st->op;
    attention_it_t *itp = &st->it;
#define it (*itp)
    it.op = op;
    opnd_init(&it.q, &op->q);
    opnd_init(&it.k, &op->k);
    opnd_init(&it.vt, &op->vt);
    it.logits = region->base + DITA_STATE_BYTES + (region->in_slots + region->w_slots + DITA_OUT_SLOTS) * DITA_TILE_BYTES +
                DITA_BIAS_SLOTS * 256u;
    it.ts = op->s / DITA_TILE;
    it.tp = tiles(op->p);
    it.g = it.phase = it.a = it.b = 0;
    run_jobs(region, attention_next, &it);
#undef it
}
