/* Addresses and sizes of the simulated Snitch cluster (../shared/PLATFORM.md section 3).
 * The simulator's iss/memmap.py holds the same numbers; tests check they agree. */
#ifndef SNITCH_CLUSTER_H
#define SNITCH_CLUSTER_H

#define SNRT_L1_BASE          0x10000000u
#define SNRT_PERIPH_BASE      0x10021000u
#define SNRT_PERF_CNT_EN      (SNRT_PERIPH_BASE + 0x000u)
#define SNRT_PERF_CNT_SEL     (SNRT_PERIPH_BASE + 0x080u)
#define SNRT_PERF_CNT         (SNRT_PERIPH_BASE + 0x100u)
#define SNRT_SCRATCH          (SNRT_PERIPH_BASE + 0x180u)
#define SNRT_CL_CLINT_SET     (SNRT_PERIPH_BASE + 0x1A0u)
#define SNRT_CL_CLINT_CLEAR   (SNRT_PERIPH_BASE + 0x1A8u)

/* Simulation registers (project choice, documented in docs/platform-notes.md). */
#define SIM_PUTCHAR           (SNRT_PERIPH_BASE + 0xF00u)
#define SIM_EXIT              (SNRT_PERIPH_BASE + 0xF08u)
#define SIM_NUM_CORES         (SNRT_PERIPH_BASE + 0xF10u) /* read: compute cores */
#define SIM_L1_SIZE           (SNRT_PERIPH_BASE + 0xF14u) /* read: L1 bytes */
#define SIM_STACK_SIZE        (SNRT_PERIPH_BASE + 0xF18u) /* read: per-hart stack bytes */

#define SNRT_ITA_BASE         0x10022000u
#define SNRT_DMA_BASE         0x10023000u
#define SNRT_ZERO_MEM         0x10030000u
#define SNRT_L2_BASE          0x80000000u

#define SNRT_CSR_SSR          0x7C0
#define SNRT_CSR_BARRIER      0x7C2
#define SNRT_MIP_MCIP         (1u << 19) /* cluster-local interrupt */

#endif
