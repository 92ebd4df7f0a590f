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

/* ITA HWPE register file (PLATFORM.md section 4), 32-bit registers. */
#define ITA_REG_TRIGGER       (SNRT_ITA_BASE + 0x00u) /* write: queue the programmed job */
#define ITA_REG_ACQUIRE       (SNRT_ITA_BASE + 0x04u) /* read: next job id, -1 while no context is free */
#define ITA_REG_FINISHED      (SNRT_ITA_BASE + 0x08u) /* read: jobs finished */
#define ITA_REG_STATUS        (SNRT_ITA_BASE + 0x0Cu) /* read: bit 0 busy, 11:8 next step */
#define ITA_REG_RUNNING_JOB   (SNRT_ITA_BASE + 0x10u) /* read: running job id, -1 when idle */
#define ITA_REG_SOFT_CLEAR    (SNRT_ITA_BASE + 0x14u) /* write: reset sequence and counters */
#define ITA_REG_INPUT_PTR     (SNRT_ITA_BASE + 0x20u)
#define ITA_REG_WEIGHT_PTR0   (SNRT_ITA_BASE + 0x24u)
#define ITA_REG_WEIGHT_PTR1   (SNRT_ITA_BASE + 0x28u)
#define ITA_REG_BIAS_PTR      (SNRT_ITA_BASE + 0x2Cu)
#define ITA_REG_OUTPUT_PTR    (SNRT_ITA_BASE + 0x30u)
#define ITA_REG_SEQ_LENGTH    (SNRT_ITA_BASE + 0x34u)
#define ITA_REG_TILES         (SNRT_ITA_BASE + 0x38u)
#define ITA_REG_EPS_MULT0     (SNRT_ITA_BASE + 0x3Cu)
#define ITA_REG_EPS_MULT1     (SNRT_ITA_BASE + 0x40u)
#define ITA_REG_RIGHT_SHIFT0  (SNRT_ITA_BASE + 0x44u)
#define ITA_REG_RIGHT_SHIFT1  (SNRT_ITA_BASE + 0x48u)
#define ITA_REG_ADD0          (SNRT_ITA_BASE + 0x4Cu)
#define ITA_REG_ADD1          (SNRT_ITA_BASE + 0x50u)
#define ITA_REG_CTRL_ENGINE   (SNRT_ITA_BASE + 0x54u)
#define ITA_REG_CTRL_STREAM   (SNRT_ITA_BASE + 0x58u)
#define ITA_REG_GELU_B_C      (SNRT_ITA_BASE + 0x5Cu)
#define ITA_REG_ACT_REQUANT   (SNRT_ITA_BASE + 0x60u)

/* DMA register front-end (docs/platform-notes.md), usable from any hart. */
#define SNRT_DMA_SRC          (SNRT_DMA_BASE + 0x00u) /* per hart */
#define SNRT_DMA_DST          (SNRT_DMA_BASE + 0x04u) /* per hart */
#define SNRT_DMA_SIZE         (SNRT_DMA_BASE + 0x08u) /* per hart: bytes per row */
#define SNRT_DMA_SRC_STRIDE   (SNRT_DMA_BASE + 0x0Cu) /* per hart */
#define SNRT_DMA_DST_STRIDE   (SNRT_DMA_BASE + 0x10u) /* per hart */
#define SNRT_DMA_REPS         (SNRT_DMA_BASE + 0x14u) /* per hart: rows, 0/1 = 1-D */
#define SNRT_DMA_START        (SNRT_DMA_BASE + 0x18u) /* read: start, returns the txid */
#define SNRT_DMA_COMPLETED_ID (SNRT_DMA_BASE + 0x1Cu) /* read */
#define SNRT_DMA_BUSY         (SNRT_DMA_BASE + 0x20u) /* read */
#define SNRT_DMA_NEXT_ID      (SNRT_DMA_BASE + 0x24u) /* read */
#define SNRT_ZERO_MEM         0x10030000u
#define SNRT_L2_BASE          0x80000000u

#define SNRT_CSR_SSR          0x7C0
#define SNRT_CSR_BARRIER      0x7C2
#define SNRT_MIP_MCIP         (1u << 19) /* cluster-local interrupt */

#endif
