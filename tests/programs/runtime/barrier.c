/* Barrier ordering: in each phase every hart writes its slot, then after the barrier checks that
 * all slots of the phase are written. Also records mcycle right after each barrier: the timing
 * model releases every hart at the latest arrival, so all harts must read the same value. */
#include <stdint.h>
#include "snrt.h"

#define PHASES 6
#define MAX_HARTS 9

volatile uint32_t slots[PHASES][MAX_HARTS];
uint32_t after_barrier[PHASES][MAX_HARTS];
volatile uint32_t errors;

int main(void) {
    uint32_t me = snrt_cluster_core_idx(), harts = snrt_cluster_core_num();
    for (uint32_t p = 0; p < PHASES; p++) {
        /* Uneven work so that harts arrive at different times. */
        for (volatile uint32_t spin = 0; spin < (me * 37u + p * 11u) % 97u; spin++) {
        }
        slots[p][me] = p * 100 + me + 1;
        uint32_t t;
        asm volatile("csrr x0, 0x7C2\n\tcsrr %0, mcycle" : "=r"(t)::"memory");
        after_barrier[p][me] = t;
        for (uint32_t h = 0; h < harts; h++)
            if (slots[p][h] != p * 100 + h + 1) __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
    }
    snrt_cluster_hw_barrier();
    return errors != 0;
}
