/* snRuntime-style API of the simulated cluster (names as pulp-platform/snitch_cluster sw/runtime). */
#ifndef SNRT_H
#define SNRT_H

#include <stdint.h>
#include <stddef.h>
#include "snitch_cluster.h"
#include "ssr.h" /* SSR and FREP (compute cores) */

#define SNRT_L1 __attribute__((section(".l1")))
#define SNRT_L1_BSS __attribute__((section(".l1bss")))

static inline uint32_t snrt_hartid(void) {
    uint32_t id;
    asm volatile("csrr %0, mhartid" : "=r"(id));
    return id;
}

/* Compute cores are harts 0..N-1; the DMA core is hart N (N = 8 by default). */
static inline uint32_t snrt_cluster_compute_core_num(void) {
    return *(volatile uint32_t *)SIM_NUM_CORES;
}
static inline uint32_t snrt_cluster_core_num(void) { return snrt_cluster_compute_core_num() + 1; }
static inline uint32_t snrt_cluster_core_idx(void) { return snrt_hartid(); }
static inline uint32_t snrt_global_core_idx(void) { return snrt_hartid(); }
static inline uint32_t snrt_cluster_idx(void) { return 0; }
static inline int snrt_is_dm_core(void) { return snrt_hartid() >= snrt_cluster_compute_core_num(); }
static inline int snrt_is_compute_core(void) { return !snrt_is_dm_core(); }

/* Hardware barrier: any access to CSR 0x7C2 stalls until every hart has made one. */
static inline void snrt_cluster_hw_barrier(void) {
    asm volatile("csrr x0, 0x7C2" ::: "memory");
}

static inline uint32_t snrt_mcycle(void) {
    uint32_t c;
    asm volatile("csrr %0, mcycle" : "=r"(c));
    return c;
}
static inline uint64_t snrt_mcycle64(void) {
    uint32_t hi, lo, hi2;
    do {
        asm volatile("csrr %0, mcycleh" : "=r"(hi));
        asm volatile("csrr %0, mcycle" : "=r"(lo));
        asm volatile("csrr %0, mcycleh" : "=r"(hi2));
    } while (hi != hi2);
    return ((uint64_t)hi << 32) | lo;
}
static inline uint32_t snrt_minstret(void) {
    uint32_t c;
    asm volatile("csrr %0, minstret" : "=r"(c));
    return c;
}

static inline void snrt_wfi(void) { asm volatile("wfi" ::: "memory"); }

/* Cluster-local interrupts (mip/mie bit 19) through cl_clint. */
static inline void snrt_int_cluster_set(uint32_t mask) { *(volatile uint32_t *)SNRT_CL_CLINT_SET = mask; }
static inline void snrt_int_cluster_clr(uint32_t mask) { *(volatile uint32_t *)SNRT_CL_CLINT_CLEAR = mask; }

static inline void snrt_putchar(char c) { *(volatile uint32_t *)SIM_PUTCHAR = (uint8_t)c; }

/* End the whole run now with `code` (any hart may call it). */
void snrt_exit(int code) __attribute__((noreturn));

#include "dma.h" /* snrt_dma_* (Xdma, DMA core) and snrt_dma_reg_* (any hart) */

#endif
