/* L1 bank conflicts: every hart loads N times from one word, either all from the same bank
 * (SAME_BANK) or each from its own bank; cycles[hart] = mcycle across the loop. */
#include <stdint.h>
#include "snrt.h"

#define N 300
SNRT_L1_BSS uint64_t data[32];
uint32_t cycles[9];

int main(void) {
    uint32_t me = snrt_cluster_core_idx(), t0, t1, tmp, count = N;
#ifdef SAME_BANK
    volatile uint64_t *p = &data[0];
#else
    volatile uint64_t *p = &data[me];  /* 8-byte words: bank = index */
#endif
    snrt_cluster_hw_barrier();
    asm volatile(
        "csrr %0, mcycle\n"
        "1: lw %2, 0(%3)\n"
        "addi %4, %4, -1\n"
        "bnez %4, 1b\n"
        "csrr %1, mcycle\n"
        : "=&r"(t0), "=&r"(t1), "=&r"(tmp), "+r"(p), "+r"(count)
        :
        : "memory");
    cycles[me] = t1 - t0;
    return 0;
}
