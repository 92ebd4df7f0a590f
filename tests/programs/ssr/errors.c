/* SSR/FREP misuse, one case per define (tests/test_ssr_frep.py): each ends the run with a clear
 * error naming the hart, pc and what went wrong, on both engines. */
#include <stdint.h>
#include "snrt.h"

double in_l2[4] = {1, 2, 3, 4};
SNRT_L1 double in_l1[4] = {1, 2, 3, 4};

int main(void) {
#ifdef DMA_CORE /* Xssr exists on the compute cores only */
    if (!snrt_is_dm_core()) return 0;
    write_ssr_cfg(SNRT_SSR_REG_BOUNDS, SNRT_SSR_DM0, 3);
    return 0;
#else
    if (snrt_cluster_core_idx() != 0) return 0;
    double acc = 0.0;
#if defined(PTR_L2) /* a stream over L2 data */
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 4, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, in_l2);
    asm volatile("csrsi 0x7C0, 1\n" SNRT_FREP_O("%[n]", 1, 0, 0) "fadd.d %[acc], %[acc], ft0\n csrci 0x7C0, 1\n"
                 : [acc] "+f"(acc) : [n] "r"(3) : "ft0", "ft1", "ft2", "memory");
#elif defined(INT_IN_BODY) /* an integer instruction in an FREP body */
    uint32_t k = 0;
    asm volatile(SNRT_FREP_O("%[n]", 2, 0, 0) "fadd.d %[acc], %[acc], %[acc]\n addi %[k], %[k], 1\n"
                 : [acc] "+f"(acc), [k] "+r"(k) : [n] "r"(3));
#elif defined(NO_STREAM) /* ft0 read with streams enabled, none configured */
    asm volatile("csrsi 0x7C0, 1\n fadd.d %[acc], %[acc], ft0\n csrci 0x7C0, 1\n"
                 : [acc] "+f"(acc) : : "ft0", "ft1", "ft2", "memory");
#elif defined(PENDING) /* a third configuration while a stream runs and another is queued */
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 4, sizeof(double));
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, in_l1);
    snrt_ssr_read(SNRT_SSR_DM0, SNRT_SSR_1D, in_l1);
    snrt_ssr_loop_1d(SNRT_SSR_DM0, 2, sizeof(double));
#endif
    return acc != 0.0;
#endif
}
