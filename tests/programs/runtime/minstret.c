/* minstret and mcycle across a loop of known length: csrr; li; 2*N loop instructions; csrr.
 * The second read must be exactly 2*N + 2 after the first (no stalls in between). */
#include <stdint.h>
#include "snrt.h"

#define N 1000
uint32_t instret_delta[9], cycle_delta[9];

int main(void) {
    uint32_t me = snrt_cluster_core_idx(), i0, i1, c0, c1, tmp;
    asm volatile(
        "csrr %0, minstret\n\t"
        "li %4, %5\n\t"
        "1: addi %4, %4, -1\n\t"
        "bnez %4, 1b\n\t"
        "csrr %1, minstret\n\t"
        "csrr %2, mcycle\n\t"
        "li %4, %5\n\t"
        "2: addi %4, %4, -1\n\t"
        "bnez %4, 2b\n\t"
        "csrr %3, mcycle\n\t"
        : "=&r"(i0), "=&r"(i1), "=&r"(c0), "=&r"(c1), "=&r"(tmp)
        : "i"(N));
    instret_delta[me] = i1 - i0;
    cycle_delta[me] = c1 - c0;
    return 0;
}
