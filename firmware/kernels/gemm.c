/* int8 GEMM / MatMul (deploy/golden/linear.py): int32 accumulation, int32 epilogue.
 *
 * Work: the output is cut into units of (batch, 2 rows, a range of 8-column blocks); units are
 * dealt round-robin to the cores. When there are fewer row pairs than cores, the columns of a
 * row pair are split too, so small-M products (a classifier, one token) still use every core.
 *
 * Inner loop (tile_2x8): 2 rows x 8 columns of the output per pass over k. Per k step it loads
 * 2 A values and 8 B values (one row of B, immediate offsets 0..7), does 16 mul + 16 add,
 * advances three pointers by register strides and branches: 46 instructions for 16 MACs,
 * 2.875 instructions per MAC, 16 accumulators in registers, no spills (checked by
 * tests/test_kernels.py on the objdump). It serves any A layout (row and k strides are
 * registers: plain and transA) as long as B's columns are adjacent (not transB). transB uses
 * the strided 2x4 tile (b0..b3 each advanced by the k stride: 29 instructions per 8 MACs).
 * Odd m: the last row is computed as a pair with itself and the duplicate result discarded. */
#include "kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
/* The tile functions are compiled without the first (pre-register-allocation) scheduling pass:
 * with it GCC hoists all eight B loads to the top of the loop body and spills accumulators to
 * the stack (58 instructions per k instead of 46). */
#define NOINLINE static __attribute__((noinline, optimize("no-schedule-insns")))

/* Load one A element: int8 or uint8 (constant after inlining). */
ALWAYS_INLINE int32_t load_a(const int8_t *p, int a_unsigned) {
    return a_unsigned ? (int32_t) * (const uint8_t *)p : (int32_t)*p;
}

/* r[0..7] += row a0 x B[:, 0..7], r[8..15] the same for row a1 (results overwrite r). */
ALWAYS_INLINE void tile_2x8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                            int a_unsigned, int32_t *r) {
    int32_t c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
    int32_t c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
    const int8_t *end = a0 + (int32_t)k * sak;
    while (a0 != end) {
        int32_t x0 = load_a(a0, a_unsigned), x1 = load_a(a1, a_unsigned), w;
        w = b[0]; c00 += x0 * w; c10 += x1 * w;
        w = b[1]; c01 += x0 * w; c11 += x1 * w;
        w = b[2]; c02 += x0 * w; c12 += x1 * w;
        w = b[3]; c03 += x0 * w; c13 += x1 * w;
        w = b[4]; c04 += x0 * w; c14 += x1 * w;
        w = b[5]; c05 += x0 * w; c15 += x1 * w;
        w = b[6]; c06 += x0 * w; c16 += x1 * w;
        w = b[7]; c07 += x0 * w; c17 += x1 * w;
        a0 += sak;
        a1 += sak;
        b += sbk;
    }
    r[0] = c00; r[1] = c01; r[2] = c02; r[3] = c03; r[4] = c04; r[5] = c05; r[6] = c06; r[7] = c07;
    r[8] = c10; r[9] = c11; r[10] = c12; r[11] = c13; r[12] = c14; r[13] = c15; r[14] = c16; r[15] = c17;
}

/* 2 rows x 4 columns, any B column stride sbj: r[0..3] and r[8..11]. */
ALWAYS_INLINE void tile_2x4(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk,
                            int32_t sbj, uint32_t k, int a_unsigned, int32_t *r) {
    int32_t c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
    const int8_t *b0 = b, *b1 = b + sbj, *b2 = b + 2 * sbj, *b3 = b + 3 * sbj;
    const int8_t *end = a0 + (int32_t)k * sak;
    while (a0 != end) {
        int32_t x0 = load_a(a0, a_unsigned), x1 = load_a(a1, a_unsigned), w;
        w = *b0; c00 += x0 * w; c10 += x1 * w;
        w = *b1; c01 += x0 * w; c11 += x1 * w;
        w = *b2; c02 += x0 * w; c12 += x1 * w;
        w = *b3; c03 += x0 * w; c13 += x1 * w;
        a0 += sak;
        a1 += sak;
        b0 += sbk;
        b1 += sbk;
        b2 += sbk;
        b3 += sbk;
    }
    r[0] = c00; r[1] = c01; r[2] = c02; r[3] = c03;
    r[8] = c10; r[9] = c11; r[10] = c12; r[11] = c13;
}

/* 2 rows x 1 column: r[0] and r[8]. */
ALWAYS_INLINE void tile_2x1(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                            int a_unsigned, int32_t *r) {
    int32_t c0 = 0, c1 = 0;
    const int8_t *end = a0 + (int32_t)k * sak;
    while (a0 != end) {
        int32_t w = *b;
        c0 += load_a(a0, a_unsigned) * w;
        c1 += load_a(a1, a_unsigned) * w;
        a0 += sak;
        a1 += sak;
        b += sbk;
    }
    r[0] = c0;
    r[8] = c1;
}

NOINLINE void tile_2x8_s8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                          int32_t *r) {
    tile_2x8(a0, a1, sak, b, sbk, k, 0, r);
}
NOINLINE void tile_2x8_u8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                          int32_t *r) {
    tile_2x8(a0, a1, sak, b, sbk, k, 1, r);
}
NOINLINE void tile_2x4_s8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, int32_t sbj,
                          uint32_t k, int32_t *r) {
    tile_2x4(a0, a1, sak, b, sbk, sbj, k, 0, r);
}
NOINLINE void tile_2x4_u8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, int32_t sbj,
                          uint32_t k, int32_t *r) {
    tile_2x4(a0, a1, sak, b, sbk, sbj, k, 1, r);
}
NOINLINE void tile_2x1_s8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                          int32_t *r) {
    tile_2x1(a0, a1, sak, b, sbk, k, 0, r);
}
NOINLINE void tile_2x1_u8(const int8_t *a0, const int8_t *a1, int32_t sak, const int8_t *b, int32_t sbk, uint32_t k,
                          int32_t *r) {
    tile_2x1(a0, a1, sak, b, sbk, k, 1, r);
}

typedef struct {
    const int8_t *a;
    int32_t sai, sak;  /* A element (i, k) at A[i*sai + k*sak] */
    uint32_t a_bs;     /* batch stride of A */
    const int8_t *b;
    int32_t sbk, sbj;  /* B element (k, j) at B[k*sbk + j*sbj] */
    uint32_t b_bs;
    int32_t *y;        /* M x N per batch, dense */
    const int32_t *c;  /* Gemm bias or NULL */
    uint32_t c_rs, c_cs;
    int32_t alpha, beta;
    uint32_t batch, m, n, k;
    int a_unsigned;
} gemm_args_t;

/* Y rows i (and i+1 if `two`) columns j..j+cols-1 from r (row stride 8), through the epilogue. */
static void store(const gemm_args_t *g, int32_t *y, uint32_t i, uint32_t j, uint32_t cols, int two, const int32_t *r) {
    for (int row = 0; row <= two; row++, i++) {
        int32_t *out = y + i * g->n + j;
        const int32_t *acc = r + 8 * row;
        if (g->c == 0 && g->alpha == 1) {
            for (uint32_t c = 0; c < cols; c++) out[c] = acc[c];
        } else {
            const int32_t *bias = g->c ? g->c + i * g->c_rs + j * g->c_cs : 0;
            for (uint32_t c = 0; c < cols; c++) {
                uint32_t v = (uint32_t)g->alpha * (uint32_t)acc[c];
                if (bias) v += (uint32_t)g->beta * (uint32_t)bias[c * g->c_cs];
                out[c] = (int32_t)v;
            }
        }
    }
}

static void gemm_driver(const gemm_args_t *g, uint32_t core, uint32_t cores) {
    const uint32_t m = g->m, n = g->n, k = g->k;
    const uint32_t pairs = (m + 1) / 2, row_units = g->batch * pairs, blocks = (n + 7) / 8;
    if (row_units == 0 || blocks == 0) return;
    uint32_t split = 1;
    if (row_units < cores) {
        split = (cores + row_units - 1) / row_units;
        if (split > blocks) split = blocks;
    }
    const uint32_t units = row_units * split;
    int32_t r[16];
    for (uint32_t u = core; u < units; u += cores) {
        const uint32_t rp = u / split, q = u % split;
        const uint32_t bi = rp / pairs, i = (rp % pairs) * 2;
        const int two = i + 1 < m;
        uint32_t j = q * blocks / split * 8, j_end = (q + 1) * blocks / split * 8;
        if (j_end > n) j_end = n;
        const int8_t *a0 = g->a + bi * g->a_bs + i * g->sai;
        const int8_t *a1 = two ? a0 + g->sai : a0;
        const int8_t *b = g->b + bi * g->b_bs;
        int32_t *y = g->y + bi * m * n;
        for (; j + 8 <= j_end; j += 8) {
            const int8_t *bj = b + (int32_t)j * g->sbj;
            if (g->sbj == 1) {
                if (g->a_unsigned)
                    tile_2x8_u8(a0, a1, g->sak, bj, g->sbk, k, r);
                else
                    tile_2x8_s8(a0, a1, g->sak, bj, g->sbk, k, r);
            } else if (g->a_unsigned) {
                tile_2x4_u8(a0, a1, g->sak, bj, g->sbk, g->sbj, k, r);
                tile_2x4_u8(a0, a1, g->sak, bj + 4 * g->sbj, g->sbk, g->sbj, k, r + 4);
            } else {
                tile_2x4_s8(a0, a1, g->sak, bj, g->sbk, g->sbj, k, r);
                tile_2x4_s8(a0, a1, g->sak, bj + 4 * g->sbj, g->sbk, g->sbj, k, r + 4);
            }
            store(g, y, i, j, 8, two, r);
        }
        for (; j + 4 <= j_end; j += 4) {
            const int8_t *bj = b + (int32_t)j * g->sbj;
            if (g->a_unsigned)
                tile_2x4_u8(a0, a1, g->sak, bj, g->sbk, g->sbj, k, r);
            else
                tile_2x4_s8(a0, a1, g->sak, bj, g->sbk, g->sbj, k, r);
            store(g, y, i, j, 4, two, r);
        }
        for (; j < j_end; j++) {
            const int8_t *bj = b + (int32_t)j * g->sbj;
            if (g->a_unsigned)
                tile_2x1_u8(a0, a1, g->sak, bj, g->sbk, k, r);
            else
                tile_2x1_s8(a0, a1, g->sak, bj, g->sbk, k, r);
            store(g, y, i, j, 1, two, r);
        }
    }
}

static void matmul(const int8_t *a, int a_unsigned, const int8_t *b, int32_t *y, uint32_t batch, uint32_t m, uint32_t n,
                   uint32_t k, uint32_t a_bs, uint32_t b_bs, uint32_t core, uint32_t cores) {
    gemm_args_t g = {
        .a = a, .sai = (int32_t)k, .sak = 1, .a_bs = a_bs,
        .b = b, .sbk = (int32_t)n, .sbj = 1, .b_bs = b_bs,
        .y = y, .c = 0, .c_rs = 0, .c_cs = 0, .alpha = 1, .beta = 0,
        .batch = batch, .m = m, .n = n, .k = k, .a_unsigned = a_unsigned,
    };
    gemm_driver(&g, core, cores);
}

void kernel_matmul_s8s8(const int8_t *a, const int8_t *b, int32_t *y, uint32_t batch, uint32_t m, uint32_t n,
                        uint32_t k, uint32_t a_batch_stride, uint32_t b_batch_stride, uint32_t core, uint32_t cores) {
    matmul(a, 0, b, y, batch, m, n, k, a_batch_stride, b_batch_stride, core, cores);
}

void kernel_matmul_u8s8(const uint8_t *a, const int8_t *b, int32_t *y, uint32_t batch, uint32_t m, uint32_t n,
                        uint32_t k, uint32_t a_batch_stride, uint32_t b_batch_stride, uint32_t core, uint32_t cores) {
    matmul((const int8_t *)a, 1, b, y, batch, m, n, k, a_batch_stride, b_batch_stride, core, cores);
}

void kernel_gemm_s8s8(const int8_t *a, const int8_t *b, const int32_t *c, int32_t *y, uint32_t m, uint32_t n,
                      uint32_t k, int trans_a, int trans_b, int32_t alpha, int32_t beta, uint32_t c_row_stride,
                      uint32_t c_col_stride, uint32_t core, uint32_t cores) {
    gemm_args_t g = {
        .a = a, .sai = trans_a ? 1 : (int32_t)k, .sak = trans_a ? (int32_t)m : 1, .a_bs = 0,
        .b = b, .sbk = trans_b ? 1 : (int32_t)n, .sbj = trans_b ? (int32_t)k : 1, .b_bs = 0,
        .y = y, .c = c, .c_rs = c_row_stride, .c_cs = c_col_stride, .alpha = alpha, .beta = beta,
        .batch = 1, .m = m, .n = n, .k = k, .a_unsigned = 0,
    };
    gemm_driver(&g, core, cores);
}
