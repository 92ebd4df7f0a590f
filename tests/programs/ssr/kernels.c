/* SSR and FREP kernels on hart 0 (tests/test_ssr_frep.py checks every result against numpy):
 * a dot product with two read streams and frep.o, the same configured by broadcast (dm 31),
 * a 4-row matrix-vector product with a 2-D stream, a repeated stream and four staggered
 * accumulators, axpy with a write stream, a 4-D stream (tensor permutation), a shadowed
 * configuration (the next stream configured while one runs), configuration reads, and frep.i.
 * Values are small multiples of 1/8, so every sum is exact in any order. */
#include <stdint.h>
#include "snrt.h"

#ifndef N
#define N 64
#endif
#define K 12 /* columns of the matrix-vector product */

SNRT_L1 double x[N], y[N], out[N];
SNRT_L1 double mat[4][K], vec[K];
SNRT_L1 double tensor[2][3][2][2], permuted[2][2][3][2];
SNRT_L1 double seq_a[8], seq_b[8], seq_out[7];

double res_dot, res_dot_bcast;
double res_mv[4];
double res_frep_i;
double res_frep_i_stagger[3];
double res_split[2];
float res_single;
volatile float single_in[2] = {1.5f, 0.25f};
uint32_t cfg_reads[8];
uint32_t counts[4]; /* minstret of: dot, axpy, matvec, frep.i */

static inline double dot(const double *a, const double *b, uint32_t n) {
    snrt_ssr_loop_1d(SNRT_SSR_DM0, n, sizeof(double));
    snrt_ssr_loop_1d(SNRT_SSR_DM1, n, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, (volatile void *)a);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, (volatile void *)b);
    double acc = 0.0;
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fmadd.d %[acc], ft0, ft1, %[acc]\n"
                 "csrci 0x7C0, 1\n"
                 : [acc] "+f"(acc)
                 : [n] "r"(n - 1)
                 : "ft0", "ft1", "ft2", "memory");
    return acc;
}

static inline double dot_broadcast(const double *a, const double *b, uint32_t n) {
    snrt_ssr_loop_1d(SNRT_SSR_DM_ALL, n, sizeof(double)); /* bounds and stride of all three */
    snrt_ssr_repeat(SNRT_SSR_DM_ALL, 1);
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, (volatile void *)a);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, (volatile void *)b);
    double acc = 0.0;
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fmadd.d %[acc], ft0, ft1, %[acc]\n"
                 "csrci 0x7C0, 1\n"
                 : [acc] "+f"(acc)
                 : [n] "r"(n - 1)
                 : "ft0", "ft1", "ft2", "memory");
    return acc;
}

/* y[m] = sum_k mat[m][k] * vec[k], m = 0..3: DM0 walks mat column by column (2-D: m inner with
 * stride K*8, k outer with stride 8), DM1 delivers each vec[k] four times (repeat), and the
 * fmadd's rd/rs3 are staggered over ft3..ft6, one accumulator per row. */
static inline void matvec4(void) {
    snrt_ssr_loop_2d(SNRT_SSR_DM0, 4, K, K * sizeof(double), sizeof(double));
    snrt_ssr_loop_1d(SNRT_SSR_DM1, K, sizeof(double));
    snrt_ssr_repeat(SNRT_SSR_DM1, 4);
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_2D, &mat[0][0]);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, vec);
    asm volatile("fcvt.d.w ft3, zero\n fcvt.d.w ft4, zero\n fcvt.d.w ft5, zero\n fcvt.d.w ft6, zero\n"
                 "csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 3, 9)
                 "fmadd.d ft3, ft0, ft1, ft3\n"
                 "csrci 0x7C0, 1\n"
                 "fsd ft3, 0(%[res])\n fsd ft4, 8(%[res])\n fsd ft5, 16(%[res])\n fsd ft6, 24(%[res])\n"
                 :
                 : [n] "r"(4 * K - 1), [res] "r"(res_mv)
                 : "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "memory");
    snrt_ssr_repeat(SNRT_SSR_DM1, 1);
}

/* out = a * x + y: two read streams and a write stream. */
static inline void axpy(double a, uint32_t n) {
    snrt_ssr_loop_1d(SNRT_SSR_DM_ALL, n, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, x);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, y);
    snrt_ssr_write(SNRT_SSR_DM2, SNRT_SSR_1D, out);
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fmadd.d ft2, %[a], ft0, ft1\n"
                 "csrci 0x7C0, 1\n"
                 :
                 : [n] "r"(n - 1), [a] "f"(a)
                 : "ft0", "ft1", "ft2", "memory");
}

/* permuted[a][d][b][c] = tensor[a][b][c][d]: a 4-D read stream in output order, a copy through a
 * 1-D write stream. Loops (innermost first): c (2), b (3), d (2), a (2). */
static inline void permute4d(void) {
    const size_t e = sizeof(double);
    snrt_ssr_loop_4d(SNRT_SSR_DM0, 2, 3, 2, 2, 2 * e, 4 * e, e, 12 * e);
    snrt_ssr_loop_1d(SNRT_SSR_DM1, 24, e);
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_4D, &tensor[0][0][0][0]);
    snrt_ssr_write(SNRT_SSR_DM1, SNRT_SSR_1D, &permuted[0][0][0][0]);
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fsgnj.d ft1, ft0, ft0\n"
                 "csrci 0x7C0, 1\n" ::[n] "r"(23)
                 : "ft0", "ft1", "ft2", "memory");
}

/* Shadowed configuration: while DM0 streams seq_a (4 elements), the next stream (seq_b, 3
 * elements with stride 16) is configured and queued; one frep consumes both, in order. */
static inline void shadowed(void) {
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 4, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, seq_a);
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 3, 2 * sizeof(double)); /* shadow: the running stream keeps 4 x 8 */
    cfg_reads[0] = read_ssr_cfg(SNRT_SSR_REG_BOUNDS, SNRT_SSR_DM0);  /* running job: 3 */
    cfg_reads[1] = read_ssr_cfg(SNRT_SSR_REG_STRIDES, SNRT_SSR_DM0); /* running job: 8 */
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, seq_b);
    snrt_ssr_loop_1d(SNRT_SSR_DM1, 7, sizeof(double));
    snrt_ssr_write(SNRT_SSR_DM1, SNRT_SSR_1D, seq_out);
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fsgnj.d ft1, ft0, ft0\n"
                 "csrci 0x7C0, 1\n" ::[n] "r"(6)
                 : "ft0", "ft1", "ft2", "memory");
    cfg_reads[2] = read_ssr_cfg(SNRT_SSR_REG_STATUS, SNRT_SSR_DM0) >> 31; /* done */
    cfg_reads[3] = read_ssr_cfg(SNRT_SSR_REG_BOUNDS, SNRT_SSR_DM0);       /* idle: the shadow, 2 */
    write_ssr_cfg(SNRT_SSR_REG_STRIDES + 1, SNRT_SSR_DM2, 12);           /* masked to 8 */
    cfg_reads[4] = read_ssr_cfg(SNRT_SSR_REG_STRIDES + 1, SNRT_SSR_DM2);
    snrt_ssr_repeat(SNRT_SSR_DM2, 3);
    cfg_reads[5] = read_ssr_cfg(SNRT_SSR_REG_REPEAT, SNRT_SSR_DM2);
    snrt_ssr_repeat(SNRT_SSR_DM2, 1);
    uint32_t on;
    asm volatile("csrsi 0x7C0, 1\n csrr %0, 0x7C0\n csrci 0x7C0, 1\n" : "=r"(on)::"memory");
    cfg_reads[6] = on;
    asm volatile("csrr %0, 0x7C0" : "=r"(on)::"memory");
    cfg_reads[7] = on;
}

/* frep.i: each instruction repeated in turn. res_frep_i = (a + 3b) * c^3 (frep.o would interleave).
 * With staggering (stagger_max 2 over rd and rs1, one counter for all issues): ft3 = (a+b)*c,
 * ft4 = a+b, ft5 = a*c. */
static inline void frep_inner(double a, double b, double c) {
    double r = a;
    asm volatile(SNRT_FREP_I("%[n]", 2, 0, 0)
                 "fadd.d %[r], %[r], %[b]\n"
                 "fmul.d %[r], %[r], %[c]\n"
                 : [r] "+f"(r)
                 : [n] "r"(2), [b] "f"(b), [c] "f"(c));
    res_frep_i = r;
    asm volatile("fmv.d ft3, %[a]\n fmv.d ft4, %[a]\n fmv.d ft5, %[a]\n"
                 SNRT_FREP_I("%[n]", 2, 2, 3)
                 "fadd.d ft3, ft3, %[b]\n"
                 "fmul.d ft3, ft3, %[c]\n"
                 "fsd ft3, 0(%[res])\n fsd ft4, 8(%[res])\n fsd ft5, 16(%[res])\n"
                 :
                 : [n] "r"(1), [a] "f"(a), [b] "f"(b), [c] "f"(c), [res] "r"(res_frep_i_stagger)
                 : "ft3", "ft4", "ft5", "memory");
}

/* One stream consumed by two separate enabled regions with ordinary code between them (on the
 * fast engine: two hand-offs; the stream state stays with the core). */
static inline void split_stream(void) {
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 8, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, seq_a);
    for (int half = 0; half < 2; half++) {
        double acc = 0.0;
        asm volatile("csrsi 0x7C0, 1\n" SNRT_FREP_O("%[n]", 1, 0, 0) "fadd.d %[acc], %[acc], ft0\n csrci 0x7C0, 1\n"
                     : [acc] "+f"(acc) : [n] "r"(3) : "ft0", "ft1", "ft2", "memory");
        res_split[half] = acc;
    }
}

/* An FREP over a single-precision value computed before the loop (by QEMU on the fast engine,
 * which leaves f32 results without their NaN box): (a * b) + 5 b. */
static inline void frep_single(void) {
    float a = single_in[0], b = single_in[1];
    float acc = a * b;
    asm volatile(SNRT_FREP_O("%[n]", 1, 0, 0) "fadd.s %[acc], %[acc], %[b]\n" : [acc] "+f"(acc) : [n] "r"(4), [b] "f"(b));
    res_single = acc;
}

int main(void) {
    if (snrt_cluster_core_idx() != 0) return 0;
    for (int i = 0; i < N; i++) {
        x[i] = (double)((i * 5) % 11 - 5) * 0.25;
        y[i] = (double)((i * 3) % 7 - 3) * 0.5;
    }
    for (int m = 0; m < 4; m++)
        for (int k = 0; k < K; k++) mat[m][k] = (double)((m * 7 + k * 3) % 9 - 4) * 0.125;
    for (int k = 0; k < K; k++) vec[k] = (double)(k % 5 - 2);
    double *t = &tensor[0][0][0][0];
    for (int i = 0; i < 24; i++) t[i] = i + 0.5;
    for (int i = 0; i < 8; i++) {
        seq_a[i] = 10 + i;
        seq_b[i] = 20 + i;
    }

    uint32_t t0 = snrt_minstret();
    res_dot = dot(x, y, N);
    uint32_t t1 = snrt_minstret();
    counts[0] = t1 - t0;
    res_dot_bcast = dot_broadcast(x, y, N);
    t0 = snrt_minstret();
    axpy(1.5, N);
    t1 = snrt_minstret();
    counts[1] = t1 - t0;
    t0 = snrt_minstret();
    matvec4();
    t1 = snrt_minstret();
    counts[2] = t1 - t0;
    permute4d();
    shadowed();
    t0 = snrt_minstret();
    frep_inner(1.25, 0.5, 2.0);
    t1 = snrt_minstret();
    counts[3] = t1 - t0;
    split_stream();
    frep_single();
    return 0;
}
