/* DMA engine, both front-ends (tests/test_dma.py).
 *
 * The DMA core (Xdma, the snRuntime sequences of dma.h) and hart 0 (register front-end) move
 * data between L1 and L2, 1-D and 2-D, with several transfers in flight, and time transfers
 * with mcycle. Results land in `out_*` arrays and `info`; the test checks them against numpy.
 * CASE selects a deliberate error instead (strict mode, Xdma on a compute core). */
#include <stdint.h>
#include "snrt.h"

#define N 1024
#define ROWS 16
#define COLS 256 /* bytes per row of the row-major L2 matrix */

uint8_t l2_src[N] __attribute__((aligned(64)));
uint8_t l2_mat[ROWS * COLS] __attribute__((aligned(64)));
uint8_t out_l2[N] __attribute__((aligned(64)));        /* L2 -> L1 -> L1 -> L2 chain */
uint8_t out_scatter[ROWS * COLS] __attribute__((aligned(64))); /* 2-D scatter target (L2) */
uint8_t out_reg[N] __attribute__((aligned(64)));       /* register front-end result (L2) */
uint8_t out_reg2d[ROWS * 64] __attribute__((aligned(64)));

uint8_t l1_a[N] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t l1_b[N] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t l1_tile[ROWS * 64] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t l1_big[8192] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t l1_reg[N] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t l2_big[8192] __attribute__((aligned(64)));

/* info: [0..2] txids of the chain, [3] of the 2-D gather, [4] next id after the 2-D transfers,
 * [5..11] mcycle deltas of timed transfers (L1 -> L1 0, 64, 640, 4096 B; L2 -> L1 8192 B;
 * L1 -> L2 4096 B; L2 -> L1 8192 B waiting in wfi), [12] first register-front-end txid,
 * [13] txid of a fresh transfer and [14] completed_id right after starting it, [15] busy
 * while the chain is in flight */
volatile uint32_t info[16];
volatile uint32_t flag;

/* mcycle around start + wait, with a fixed instruction sequence (the snRuntime one): the
 * transfer is issued 3 cycles after the first read, polled every 2 cycles, and the second
 * read follows the last poll by 2 cycles. */
static uint32_t timed_copy(void *dst, const void *src, uint32_t size) {
    uint32_t c0, c1, txid;
    asm volatile(
        "csrr %[c0], mcycle\n"
        ".insn r 0x2b, 0, 0, x0, %[src], x0\n" /* dmsrc */
        ".insn r 0x2b, 0, 1, x0, %[dst], x0\n" /* dmdst */
        ".insn i 0x2b, 0, %[t], %[size], 0x40\n" /* dmcpyi */
        "1: .insn i 0x2b, 0, t0, x0, 0x80\n"   /* dmstati t0, completed_id */
        "bltu t0, %[t], 1b\n"
        "csrr %[c1], mcycle\n"
        : [c0] "=&r"(c0), [c1] "=&r"(c1), [t] "=&r"(txid)
        : [src] "r"(src), [dst] "r"(dst), [size] "r"(size)
        : "t0", "memory");
    return c1 - c0;
}

/* The same, sleeping in wfi between polls: woken by the completion event. */
static uint32_t timed_copy_wfi(void *dst, const void *src, uint32_t size) {
    uint32_t c0, c1, txid;
    asm volatile(
        "csrr %[c0], mcycle\n"
        ".insn r 0x2b, 0, 0, x0, %[src], x0\n"
        ".insn r 0x2b, 0, 1, x0, %[dst], x0\n"
        ".insn i 0x2b, 0, %[t], %[size], 0x40\n"
        "1: .insn i 0x2b, 0, t0, x0, 0x80\n"
        "bgeu t0, %[t], 2f\n"
        "wfi\n"
        "j 1b\n"
        "2: csrr %[c1], mcycle\n"
        : [c0] "=&r"(c0), [c1] "=&r"(c1), [t] "=&r"(txid)
        : [src] "r"(src), [dst] "r"(dst), [size] "r"(size)
        : "t0", "memory");
    return c1 - c0;
}

static void dm_core(void) {
    for (int i = 0; i < N; i++) l2_src[i] = (uint8_t)(i * 7 + 3);
    for (int i = 0; i < ROWS * COLS; i++) l2_mat[i] = (uint8_t)(i * 13 + i / 256);

#if CASE == 1 /* strict: read the destination before waiting */
    snrt_dma_start_1d(l1_a, l2_src, N);
    info[0] = ((volatile uint8_t *)l1_a)[100];
    return;
#elif CASE == 2 /* strict: overwrite the source before the transfer has completed */
    snrt_dma_start_1d(l1_a, l2_src, N);
    ((volatile uint8_t *)l2_src)[8] = 0;
    return;
#endif

    /* a chain of three transfers in flight at once (in-order queue), waiting for the last only */
    snrt_dma_txid_t t0 = snrt_dma_start_1d(l1_a, l2_src, N);
    snrt_dma_txid_t t1 = snrt_dma_start_1d(l1_b, l1_a, N);
    snrt_dma_txid_t t2 = snrt_dma_start_1d(out_l2, l1_b, N);
    info[15] = snrt_dma_busy();
    snrt_dma_wait(t2);
    info[0] = t0;
    info[1] = t1;
    info[2] = t2;

    /* 2-D: gather a 16 x 64 B tile at column 64 of the row-major matrix, scatter it at column 128 */
    snrt_dma_txid_t t3 = snrt_dma_start_2d(l1_tile, l2_mat + 64, 64, 64, COLS, ROWS);
    snrt_dma_wait(t3);
    snrt_dma_start_2d(out_scatter + 128, l1_tile, 64, COLS, 64, ROWS);
    snrt_dma_wait_all();
    info[3] = t3;
    info[4] = snrt_dma_next_id();

    /* timing */
    uint32_t cyc[8];
    cyc[0] = timed_copy(l1_big, l1_a, 0);
    cyc[1] = timed_copy(l1_big, l1_a, 64);
    cyc[2] = timed_copy(l1_big, l1_a, 640);
    cyc[3] = timed_copy(l1_big, l1_big + 4096, 4096);
    cyc[4] = timed_copy(l1_big, l2_big, 8192); /* L2 source: + the L2 latency */
    cyc[5] = timed_copy(l2_big, l1_big, 4096); /* L2 destination */
    cyc[6] = timed_copy_wfi(l1_big, l2_big, 8192);
    for (int i = 0; i < 7; i++) info[5 + i] = cyc[i];

    /* status right after a start */
    snrt_dma_txid_t t4 = snrt_dma_start_1d(l1_big, l2_big, 64);
    info[13] = t4;
    info[14] = snrt_dma_completed_id();
    snrt_dma_wait_all();
}

static void core0(void) {
    /* register front-end from a compute core, once the DMA core has filled l2_src / l2_mat */
    while (!flag)
        ;
#if CASE == 3 /* strict: a compute core reads the front-end's destination before waiting */
    snrt_dma_reg_start_1d(l1_reg, l2_src, N);
    info[0] = ((volatile uint8_t *)l1_reg)[0];
    return;
#endif
    snrt_dma_txid_t t = snrt_dma_reg_start_1d(l1_reg, l2_src, N);
    snrt_dma_reg_wait(t);
    info[12] = t;
    t = snrt_dma_reg_start_1d(out_reg, l1_reg, N);
    snrt_dma_txid_t t2 = snrt_dma_reg_start_2d(out_reg2d, l2_mat + 192, 64, 64, COLS, ROWS);
    snrt_dma_reg_wait(t2);
    (void)t;
}

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    if (snrt_is_dm_core()) {
#if CASE == 4 /* nothing to do here */
#endif
        dm_core();
        flag = 1;
    } else if (me == 0) {
#if CASE == 4 /* Xdma on a compute core: illegal instruction */
        snrt_dma_start_1d(l1_a, l2_src, 64);
#endif
        core0();
    }
    snrt_cluster_hw_barrier();
    return 0;
}
