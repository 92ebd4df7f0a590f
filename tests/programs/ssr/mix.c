/* SSR/FREP kernels mixed with ordinary integer and FP code on every compute core, each with its
 * own data (tests/test_ssr_frep.py): per round, a dot product with two read streams and four
 * staggered accumulators, a plain C dot product of the same data, axpy through a write stream,
 * and an integer checksum; the cores meet at the barrier between rounds. */
#include <stdint.h>
#include "snrt.h"

#define CORES 8
#define LEN 48
#define ROUNDS 3

SNRT_L1 double xs[CORES][LEN], ys[CORES][LEN], zs[CORES][LEN];
double ssr_dots[CORES][ROUNDS], plain_dots[CORES][ROUNDS], z_sums[CORES][ROUNDS];
uint32_t isums[CORES][ROUNDS];
uint32_t counts[CORES];

static double dot_staggered(const double *a, const double *b, uint32_t n) {
    snrt_ssr_loop_1d(SNRT_SSR_DM_ALL, n, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, (volatile void *)a);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, (volatile void *)b);
    double sum;
    asm volatile("fcvt.d.w ft3, zero\n fcvt.d.w ft4, zero\n fcvt.d.w ft5, zero\n fcvt.d.w ft6, zero\n"
                 "csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 3, 9)
                 "fmadd.d ft3, ft0, ft1, ft3\n"
                 "csrci 0x7C0, 1\n"
                 "fadd.d ft3, ft3, ft4\n fadd.d ft5, ft5, ft6\n fadd.d %[sum], ft3, ft5\n"
                 : [sum] "=f"(sum)
                 : [n] "r"(n - 1)
                 : "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "memory");
    return sum;
}

static void axpy_stream(double a, const double *x, const double *y, double *z, uint32_t n) {
    snrt_ssr_loop_1d(SNRT_SSR_DM_ALL, n, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, (volatile void *)x);
    snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, (volatile void *)y);
    snrt_ssr_write(SNRT_SSR_DM2, SNRT_SSR_1D, z);
    asm volatile("csrsi 0x7C0, 1\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fmadd.d ft2, %[a], ft0, ft1\n"
                 "csrci 0x7C0, 1\n"
                 :
                 : [n] "r"(n - 1), [a] "f"(a)
                 : "ft0", "ft1", "ft2", "memory");
}

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    if (snrt_is_dm_core()) {
        for (int r = 0; r < ROUNDS; r++) snrt_cluster_hw_barrier();
        return 0;
    }
    uint32_t t0 = snrt_minstret();
    double *x = xs[me], *y = ys[me], *z = zs[me];
    for (int i = 0; i < LEN; i++) {
        x[i] = (double)((int)((i * (me + 3)) % 13) - 6) * 0.25;
        y[i] = (double)((int)((i + me) % 7) - 3) * 0.5;
    }
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t n = LEN - 8 * r - me;
        uint32_t s = 0;
        for (uint32_t i = 0; i < 50 + 10 * me; i++) s = s * 31 + (i ^ (r << 4)) * (me + 1);
        isums[me][r] = s;
        ssr_dots[me][r] = dot_staggered(x, y, n);
        double p = 0.0;
        for (uint32_t i = 0; i < n; i++) p += x[i] * y[i];
        plain_dots[me][r] = p;
        axpy_stream(0.5 * (r + 1), x, y, z, n);
        double zs_sum = 0.0;
        for (uint32_t i = 0; i < n; i++) zs_sum += z[i];
        z_sums[me][r] = zs_sum;
        snrt_cluster_hw_barrier();
    }
    counts[me] = snrt_minstret() - t0;
    return 0;
}
