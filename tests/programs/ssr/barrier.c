/* The hardware barrier and an interrupt-free wfi inside a region with streams enabled, on every
 * compute core (tests/test_ssr_frep.py): on the fast engine the cores are then running on their
 * hand-off instances when they arrive, and must be released like any other hart. */
#include <stdint.h>
#include "snrt.h"

#define CORES 8
#define LEN 16

SNRT_L1 double data[CORES][LEN];
double sums[CORES];
uint32_t after[CORES];

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    if (snrt_is_dm_core()) {
        snrt_cluster_hw_barrier();
        return 0;
    }
    for (int i = 0; i < LEN; i++) data[me][i] = me * 100 + i;
    for (volatile uint32_t spin = 0; spin < me * 50; spin++) {
    }
    snrt_ssr_loop_1d(SNRT_SSR_DM0, LEN, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, data[me]);
    double acc = 0.0;
    uint32_t t;
    asm volatile("csrsi 0x7C0, 1\n"
                 "csrr x0, 0x7C2\n"
                 "csrr %[t], mcycle\n"
                 SNRT_FREP_O("%[n]", 1, 0, 0)
                 "fadd.d %[acc], %[acc], ft0\n"
                 "csrci 0x7C0, 1\n"
                 : [acc] "+f"(acc), [t] "=&r"(t)
                 : [n] "r"(LEN - 1)
                 : "ft0", "ft1", "ft2", "memory");
    sums[me] = acc;
    after[me] = t;
    return 0;
}
