/* FREP issue rate (tests/test_ssr_frep.py): N fmadd.d of a dot product fed by two read streams,
 *   0: staggered over four accumulators ft3..ft6 (stagger_max 3, rd and rs3): one per cycle;
 *   1: one accumulator: each fmadd waits for the previous one (fp64 latency 3): ~3 cycles each.
 * For each: cycles and instructions between the two counter reads, and the dot product. */
#include <stdint.h>
#include "snrt.h"

#ifndef N
#define N 64
#endif

SNRT_L1 double x[N], y[N];
uint32_t cycles[2], instrs[2];
double sums[2];

#define MEASURE(idx, frep, acc_init, reduce)                                                          \
    do {                                                                                             \
        uint32_t c0, c1, i0, i1;                                                                     \
        snrt_ssr_loop_1d(SNRT_SSR_DM_ALL, N, sizeof(double));                                        \
        snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, x);                                                 \
        snrt_ssr_read(SNRT_SSR_DM1, SNRT_SSR_1D, y);                                                 \
        asm volatile(acc_init "csrr %[c0], mcycle\n"                                                \
                              "csrr %[i0], minstret\n"                                              \
                              "csrsi 0x7C0, 1\n" frep "fmadd.d ft3, ft0, ft1, ft3\n"                \
                              "csrci 0x7C0, 1\n"                                                    \
                              "csrr %[i1], minstret\n"                                              \
                              "csrr %[c1], mcycle\n" reduce "fsd ft3, 0(%[sum])\n"                  \
                     : [c0] "=&r"(c0), [c1] "=&r"(c1), [i0] "=&r"(i0), [i1] "=&r"(i1)              \
                     : [n] "r"(N - 1), [sum] "r"(&sums[idx])                                         \
                     : "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "memory");                 \
        cycles[idx] = c1 - c0;                                                                       \
        instrs[idx] = i1 - i0;                                                                       \
    } while (0)

int main(void) {
    if (snrt_cluster_core_idx() != 0) return 0;
    for (int i = 0; i < N; i++) {
        x[i] = (double)(i % 9 - 4) * 0.5;
        y[i] = (double)(i % 5 + 1) * 0.25;
    }
    MEASURE(0, SNRT_FREP_O("%[n]", 1, 3, 9),
            "fcvt.d.w ft3, zero\n fcvt.d.w ft4, zero\n fcvt.d.w ft5, zero\n fcvt.d.w ft6, zero\n",
            "fadd.d ft3, ft3, ft4\n fadd.d ft5, ft5, ft6\n fadd.d ft3, ft3, ft5\n");
    MEASURE(1, SNRT_FREP_O("%[n]", 1, 0, 0), "fcvt.d.w ft3, zero\n", "");
    return 0;
}
