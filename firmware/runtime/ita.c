/* ITA driver: register programming, and whole steps/layers streamed through L1 by the DMA core.
 *
 * ita_run_matmul() is a software pipeline on the DMA core. Per job n (one 64x64x64 block):
 *   wait for the DMA of job n's tiles; queue job n on ITA (a free job context);
 *   wait for job n-1 and, if it wrote an output tile into an L1 staging buffer, DMA it out;
 *   DMA job n+1's tiles into the staging buffers job n does not use.
 * So ITA computes job n while the DMA moves job n-1's output and job n+1's operands. Operands
 * already in L1 are used in place; a tile still held by a staging buffer (same source address
 * within the step) is not fetched again. Every job sets weight_preload (no nextload). */
#include "ita.h"
#include "dma.h"

#define NSLOT 3 /* staging buffers per operand: jobs g-1 (finishing), g (queued), g+1 .. */
#define NOUT 2
#define L1_END 0x10020000u

static int8_t in_buf[NSLOT][ITA_TILE_BYTES] __attribute__((section(".l1bss"), aligned(64)));
static int8_t w_buf[NSLOT][ITA_TILE_BYTES] __attribute__((section(".l1bss"), aligned(64)));
static int8_t o_buf[NOUT][ITA_TILE_BYTES] __attribute__((section(".l1bss"), aligned(64)));
static uint8_t b_buf[NSLOT][ITA_BIAS_BYTES] __attribute__((section(".l1bss"), aligned(64)));

void ita_configure(uint32_t mode, uint32_t s, uint32_t e, uint32_t p_, uint32_t f, const ita_params_t *p) {
    uint32_t w[6] = {0};
    for (int i = 0; i < 4; i++) {
        w[0] |= (uint32_t)p->eps_mult[i] << (8 * i);
        w[1] |= (uint32_t)p->eps_mult[4 + i] << (8 * i);
        w[2] |= (uint32_t)p->right_shift[i] << (8 * i);
        w[3] |= (uint32_t)p->right_shift[4 + i] << (8 * i);
        w[4] |= (uint32_t)(uint8_t)p->add[i] << (8 * i);
        w[5] |= (uint32_t)(uint8_t)p->add[4 + i] << (8 * i);
    }
    ITA_REG(ITA_REG_TILES) = ita_tiles(s, e, p_, f);
    ITA_REG(ITA_REG_SEQ_LENGTH) = s;
    ITA_REG(ITA_REG_EPS_MULT0) = w[0];
    ITA_REG(ITA_REG_EPS_MULT1) = w[1];
    ITA_REG(ITA_REG_RIGHT_SHIFT0) = w[2];
    ITA_REG(ITA_REG_RIGHT_SHIFT1) = w[3];
    ITA_REG(ITA_REG_ADD0) = w[4];
    ITA_REG(ITA_REG_ADD1) = w[5];
    ITA_REG(ITA_REG_CTRL_ENGINE) = (mode & 3u) | (uint32_t)(p->activation & 3u) << 2;
    ITA_REG(ITA_REG_GELU_B_C) = (uint16_t)p->gelu_b | (uint32_t)(uint16_t)p->gelu_c << 16;
    ITA_REG(ITA_REG_ACT_REQUANT) = p->act_mult | (uint32_t)p->act_shift << 8 | (uint32_t)(uint8_t)p->act_add << 16;
}

uint32_t ita_job(const void *input, const void *weight0, const void *weight1, const void *bias, void *output,
                 uint32_t ctrl_stream) {
    int32_t id;
    while ((id = ita_acquire()) < 0)
        ;
    ITA_REG(ITA_REG_INPUT_PTR) = (uint32_t)input;
    ITA_REG(ITA_REG_WEIGHT_PTR0) = (uint32_t)weight0;
    ITA_REG(ITA_REG_WEIGHT_PTR1) = (uint32_t)weight1;
    ITA_REG(ITA_REG_BIAS_PTR) = (uint32_t)bias;
    ITA_REG(ITA_REG_OUTPUT_PTR) = (uint32_t)output;
    ITA_REG(ITA_REG_CTRL_STREAM) = ctrl_stream;
    ITA_REG(ITA_REG_TRIGGER) = 0;
    return (uint32_t)id;
}

/* -- the streaming pipeline ------------------------------------------------------------------ */

typedef struct {
    void *buf[NSLOT];
    const void *tag[NSLOT]; /* source address of the tile each holds */
    int32_t use[NSLOT];     /* pipeline index of the last job using it, -1: none */
    int next;               /* where the next miss looks for a victim first */
} slots_t;

typedef struct {
    const ita_matmul_t *m;     /* the job's step */
    const void *in, *w, *bias; /* L1 addresses for ITA */
    int8_t *out;               /* L1 address ITA writes, NULL: output disabled */
    int8_t *out_dst;           /* L2 destination of a staged output, NULL: none */
    int o_slot;
    snrt_dma_txid_t txid;   /* the last DMA transfer this job's operands wait for (0: none) */
    snrt_dma_txid_t w_txid; /* the one bringing its weight tile (0: none) */
} staged_t;

/* The staging position: step, output row tile i, column tile j, inner tile k. */
typedef struct {
    const ita_matmul_t *m, *end;
    uint32_t i, j, k;
    int first; /* the job here is its step's first */
} cursor_t;

#define AHEAD 2 /* jobs staged ahead of the one being queued */
#define RING 4  /* >= AHEAD + 2, a power of two */

typedef struct {
    const ita_matmul_t *steps;
    slots_t ins, ws, bs;
    snrt_dma_txid_t out_txid[NOUT];
    int out_slot;
    uint32_t base; /* ITA id of pipeline job 0 */
    uint32_t done; /* ITA jobs known to have finished */
    staged_t ring[RING];
} pipe_t;

static inline int in_l1(const void *p) {
    uint32_t a = (uint32_t)p;
    return a >= SNRT_L1_BASE && a < L1_END;
}

static inline int overlaps(const void *a, uint32_t na, const void *b, uint32_t nb) {
    return (uint32_t)a < (uint32_t)b + nb && (uint32_t)b < (uint32_t)a + na;
}

/* Wait until pipeline job g has finished (FINISHED is read only when needed). */
static inline void wait_job(pipe_t *pp, int32_t g) {
    const uint32_t id = pp->base + (uint32_t)g;
    while (pp->done <= id) pp->done = ita_finished();
    asm volatile("" ::: "memory");
}

/* The L1 address of `src` (`bytes` long) for pipeline job `g`: in place, already staged, or
 * copied by the DMA into a slot no job from `pinned` on uses (after its last reader is done). */
static const void *stage(pipe_t *pp, slots_t *sl, const void *src, uint32_t bytes, int32_t g, int32_t pinned,
                         snrt_dma_txid_t *txid) {
    if (in_l1(src)) return src;
    for (int s = 0; s < NSLOT; s++)
        if (sl->tag[s] == src) {
            sl->use[s] = g;
            return sl->buf[s];
        }
    int v = sl->next;
    while (sl->use[v] >= pinned) v = v + 1 == NSLOT ? 0 : v + 1;
    sl->next = v + 1 == NSLOT ? 0 : v + 1;
    if (sl->use[v] >= 0) wait_job(pp, sl->use[v]);
    *txid = snrt_dma_start_1d(sl->buf[v], src, bytes);
    sl->tag[v] = src;
    sl->use[v] = g;
    return sl->buf[v];
}

static void cursor_next(cursor_t *c) {
    const ita_matmul_t *m = c->m;
    c->first = 0;
    if (++c->k < m->inner) return;
    c->k = 0;
    if (++c->j < m->cols) return;
    c->j = 0;
    if (++c->i < m->row0 + m->nrows) return;
    c->m = ++m;
    if (m < c->end) {
        c->i = m->row0;
        c->first = 1;
    }
}

/* Does step m read what an earlier step of the run writes to L2 (then it waits for it)? */
static int depends(const pipe_t *pp, const ita_matmul_t *m) {
    const uint32_t in_bytes = m->nrows * m->inner * ITA_TILE_BYTES, w_bytes = m->cols * m->inner * ITA_TILE_BYTES;
    const int8_t *in = m->in + m->row0 * m->inner * ITA_TILE_BYTES;
    for (const ita_matmul_t *e = pp->steps; e < m; e++) {
        const int8_t *out = e->out + e->row0 * e->cols * ITA_TILE_BYTES;
        const uint32_t out_bytes = e->nrows * e->cols * ITA_TILE_BYTES;
        if (in_l1(out)) continue; /* ITA reads it in place, after the job that wrote it */
        if (overlaps(in, in_bytes, out, out_bytes) || overlaps(m->w, w_bytes, out, out_bytes)) return 1;
    }
    return 0;
}

/* Stage the job at cursor c as pipeline job g, keeping the buffers of jobs from `pinned` on. */
static void stage_job(pipe_t *pp, const cursor_t *c, uint32_t g, int32_t pinned) {
    const ita_matmul_t *m = c->m;
    staged_t *st = &pp->ring[g & (RING - 1)];
    const uint32_t inner = m->inner, i = c->i, j = c->j, k = c->k;
    st->m = m;
    st->txid = 0;
    st->in = stage(pp, &pp->ins, m->in + (i * inner + k) * ITA_TILE_BYTES, ITA_TILE_BYTES, (int32_t)g, pinned, &st->txid);
    st->w_txid = 0;
    st->w = stage(pp, &pp->ws, m->w + (j * inner + k) * ITA_TILE_BYTES, ITA_TILE_BYTES, (int32_t)g, pinned, &st->w_txid);
    if (st->w_txid) st->txid = st->w_txid;
    st->bias = 0;
    st->out = st->out_dst = 0;
    st->o_slot = -1;
    if (k + 1 < inner) return;
    if (m->bias) {
        const uint32_t t = (m->stream & ITA_BIAS_DIRECTION) ? i : j;
        st->bias = stage(pp, &pp->bs, m->bias + t * ITA_BIAS_BYTES, ITA_BIAS_BYTES, (int32_t)g, pinned, &st->txid);
    }
    int8_t *dst = m->out + (i * m->cols + j) * ITA_TILE_BYTES;
    if (in_l1(dst)) {
        st->out = dst;
    } else {
        st->o_slot = pp->out_slot;
        st->out = o_buf[pp->out_slot];
        st->out_dst = dst;
        pp->out_slot ^= 1;
    }
}

/* Job g's output (staged in L1) to L2, once ITA has finished it. */
static void write_back(pipe_t *pp, uint32_t g) {
    staged_t *st = &pp->ring[g & (RING - 1)];
    if (!st->out_dst) return;
    wait_job(pp, (int32_t)g);
    pp->out_txid[st->o_slot] = snrt_dma_start_1d(st->out_dst, st->out, ITA_TILE_BYTES);
    for (int s = 0; s < NSLOT; s++) { /* a staged copy of that tile is stale now */
        if (pp->ins.tag[s] == st->out_dst) pp->ins.tag[s] = 0;
        if (pp->ws.tag[s] == st->out_dst) pp->ws.tag[s] = 0;
    }
    st->out_dst = 0;
}

static void slots_init(slots_t *sl, void *bufs, uint32_t size) {
    for (int s = 0; s < NSLOT; s++) {
        sl->buf[s] = (uint8_t *)bufs + s * size;
        sl->tag[s] = 0;
        sl->use[s] = -1;
    }
    sl->next = 0;
}

void ita_run_steps(const ita_matmul_t *steps, uint32_t n_steps) {
    pipe_t pp;
    pp.steps = steps;
    slots_init(&pp.ins, in_buf, ITA_TILE_BYTES);
    slots_init(&pp.ws, w_buf, ITA_TILE_BYTES);
    slots_init(&pp.bs, b_buf, ITA_BIAS_BYTES);
    pp.out_txid[0] = pp.out_txid[1] = 0;
    pp.out_slot = 0;
    ita_wait_idle(); /* job ids of this run: base, base + 1, ... */
    pp.base = pp.done = ita_finished();
    uint32_t total = 0;
    for (uint32_t s = 0; s < n_steps; s++) total += steps[s].nrows * steps[s].cols * steps[s].inner;
    cursor_t c = {steps, steps + n_steps, n_steps ? steps->row0 : 0, 0, 0, 1};

    uint32_t staged = 0; /* jobs staged so far */
    int prefetched = 0;  /* the previous job prefetched this one's first weight rows */
    for (uint32_t g = 0; g < total; g++) {
        if (g == staged) { /* a step that reads an earlier step's L2 output: wait for all of it */
            if (g > 0) {
                write_back(&pp, g - 1);
                wait_job(&pp, (int32_t)g - 1);
                snrt_dma_wait_all();
            }
            stage_job(&pp, &c, g, (int32_t)g);
            cursor_next(&c);
            staged = g + 1;
        }
        staged_t *cur = &pp.ring[g & (RING - 1)];
        if (cur->txid) snrt_dma_wait(cur->txid);
        if (cur->o_slot >= 0 && pp.out_txid[cur->o_slot]) snrt_dma_wait(pp.out_txid[cur->o_slot]);
        /* prefetch the next job's first weight rows if they are in L1 already */
        const void *next_w = 0;
        if (g + 1 < staged) {
            staged_t *nx = &pp.ring[(g + 1) & (RING - 1)];
            if (!nx->w_txid || snrt_dma_completed_id() >= nx->w_txid) next_w = nx->w;
        }
        uint32_t stream = (prefetched ? 0 : ITA_WEIGHT_PRELOAD) | (next_w ? ITA_WEIGHT_NEXTLOAD : 0) |
                          (cur->bias ? 0 : ITA_BIAS_DISABLE) | (cur->out ? 0 : ITA_OUTPUT_DISABLE) | cur->m->stream;
        ita_job(cur->in, cur->w, next_w, cur->bias, cur->out, stream);
        prefetched = next_w != 0;
        /* while it runs: the previous job's output to L2, then the tiles of the jobs ahead */
        if (g > 0) write_back(&pp, g - 1);
        while (staged < total && staged <= g + AHEAD && !(c.first && depends(&pp, c.m))) {
            stage_job(&pp, &c, staged, (int32_t)g);
            cursor_next(&c);
            staged++;
        }
    }
    if (total) {
        write_back(&pp, total - 1);
        wait_job(&pp, (int32_t)total - 1);
    }
    snrt_dma_wait_all();
}

void ita_run_matmul(const ita_matmul_t *m) { ita_run_steps(m, 1); }

void ita_attention_head(const ita_attention_t *h) {
    const uint32_t ts = h->s / ITA_TILE, te = h->e / ITA_TILE, tp = h->p / ITA_TILE;
    ita_matmul_t steps[4 + 2 * 15];
    uint32_t n = 0;
    ita_wait_idle();
    ita_soft_clear();
    ita_configure(ITA_ATTENTION, h->s, h->e, h->p, ITA_TILE, h->params);
    steps[n++] = (ita_matmul_t){h->x_q, h->wq, h->bq, h->q, 0, ts, tp, te, 0};
    steps[n++] = (ita_matmul_t){h->x_kv, h->wk, h->bk, h->k, 0, ts, tp, te, 0};
    /* V transposed: the weights stream as the input, the tokens as the weights */
    steps[n++] = (ita_matmul_t){h->wv, h->x_kv, h->bv, h->vt, 0, tp, ts, te, ITA_BIAS_DIRECTION};
    for (uint32_t g = 0; g < ts; g++) {
        steps[n++] = (ita_matmul_t){h->q, h->k, 0, h->a, g, 1, ts, tp, 0};
        steps[n++] = (ita_matmul_t){h->a, h->vt, 0, h->o, g, 1, tp, ts, 0};
    }
    steps[n++] = (ita_matmul_t){h->o, h->wo, h->bo, h->out, 0, ts, te, tp, 0};
    ita_run_steps(steps, n);
}

void ita_feedforward(const ita_ffn_t *f) {
    const uint32_t ts = f->s / ITA_TILE, te = f->e / ITA_TILE, tf = f->f / ITA_TILE;
    ita_wait_idle();
    ita_soft_clear();
    ita_configure(ITA_FEEDFORWARD, f->s, f->e, ITA_TILE, f->f, f->params);
    ita_matmul_t steps[2] = {
        {f->x, f->w1, f->b1, f->h, 0, ts, tf, te, 0},
        {f->h, f->w2, f->b2, f->out, 0, ts, te, tf, 0},
    };
    ita_run_steps(steps, 2);
}
