/* Shared counters from every hart: AMO add and an LR/SC loop. */
#include <stdint.h>
#include <stdio.h>
#include "snrt.h"

#ifndef ITERS
#define ITERS 2000
#endif

uint32_t amo_counter;
uint32_t lrsc_counter;
uint32_t amo_max;

static void lrsc_increment(uint32_t *p) {
    uint32_t old, fail;
    do {
        asm volatile("lr.w %0, (%2)\n\taddi %0, %0, 1\n\tsc.w %1, %0, (%2)"
                     : "=&r"(old), "=&r"(fail)
                     : "r"(p)
                     : "memory");
    } while (fail);
}

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    for (uint32_t i = 0; i < ITERS; i++) {
        __atomic_fetch_add(&amo_counter, 1, __ATOMIC_RELAXED);
        lrsc_increment(&lrsc_counter);
    }
    asm volatile("amomaxu.w zero, %1, (%0)" ::"r"(&amo_max), "r"(me * 10 + 7) : "memory");
    snrt_cluster_hw_barrier();
    if (me == 0) printf("amo %lu lrsc %lu max %lu\n", (unsigned long)amo_counter, (unsigned long)lrsc_counter,
                        (unsigned long)amo_max);
    return 0;
}
