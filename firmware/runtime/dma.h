/* Cluster DMA (PLATFORM.md section 5): snRuntime names over Xdma, plus the register front-end.
 *
 * snrt_dma_* use the Xdma instructions and run on the DMA core only (on a compute core they are
 * illegal instructions), with the instruction sequences of pulp-platform/snitch_cluster
 * sw/runtime/src/dma.h (channel 0): dmsrc, dmdst, [dmstr, dmrep,] dmcpyi; waiting is
 * `1: dmstati t0, 0; bltu t0, txid, 1b` ("done when completed_id >= txid"). The assembler does
 * not know Xdma, so each instruction is an `.insn` of custom-1 (0x2B) funct3 000:
 *   dmsrc  rs1, rs2   .insn r 0x2b, 0, 0, x0, rs1, rs2
 *   dmdst  rs1, rs2   .insn r 0x2b, 0, 1, x0, rs1, rs2
 *   dmcpyi rd, rs1, c .insn i 0x2b, 0, rd, rs1, (2 << 5) | c     (c: bit 1 = 2-D)
 *   dmcpy  rd, rs1, rs2 .insn r 0x2b, 0, 3, rd, rs1, rs2
 *   dmstati rd, s     .insn i 0x2b, 0, rd, x0, (4 << 5) | s      (s: 0 completed, 1 next, 2 busy)
 *   dmstat rd, rs2    .insn r 0x2b, 0, 5, rd, x0, rs2
 *   dmstr  rs1, rs2   .insn r 0x2b, 0, 6, x0, rs1 (src stride), rs2 (dst stride)
 *   dmrep  rs1        .insn r 0x2b, 0, 7, x0, rs1, x0
 *
 * snrt_dma_reg_* use the register front-end (SNRT_DMA_* in snitch_cluster.h) and work on any
 * hart; both front-ends share one engine, one queue and one transfer-id sequence. */
#ifndef SNRT_DMA_H
#define SNRT_DMA_H

#include <stddef.h>
#include <stdint.h>
#include "snitch_cluster.h"

typedef uint32_t snrt_dma_txid_t;

/* 1-D transfer of `size` bytes; returns its transfer id. DMA core only. */
static inline snrt_dma_txid_t snrt_dma_start_1d(void *dst, const void *src, size_t size) {
    snrt_dma_txid_t txid;
    asm volatile(
        ".insn r 0x2b, 0, 0, x0, %[src_lo], %[src_hi]\n" /* dmsrc */
        ".insn r 0x2b, 0, 1, x0, %[dst_lo], %[dst_hi]\n" /* dmdst */
        ".insn i 0x2b, 0, %[txid], %[size], 0x40\n"      /* dmcpyi txid, size, 0b00 */
        : [txid] "=r"(txid)
        : [src_lo] "r"(src), [src_hi] "r"(0), [dst_lo] "r"(dst), [dst_hi] "r"(0), [size] "r"(size)
        : "memory");
    return txid;
}

/* 2-D transfer: `repeat` rows of `size` bytes, rows `src_stride` / `dst_stride` bytes apart. */
static inline snrt_dma_txid_t snrt_dma_start_2d(void *dst, const void *src, size_t size, size_t dst_stride,
                                                size_t src_stride, size_t repeat) {
    snrt_dma_txid_t txid;
    asm volatile(
        ".insn r 0x2b, 0, 0, x0, %[src_lo], %[src_hi]\n"         /* dmsrc */
        ".insn r 0x2b, 0, 1, x0, %[dst_lo], %[dst_hi]\n"         /* dmdst */
        ".insn r 0x2b, 0, 6, x0, %[src_stride], %[dst_stride]\n" /* dmstr */
        ".insn r 0x2b, 0, 7, x0, %[repeat], x0\n"                /* dmrep */
        ".insn i 0x2b, 0, %[txid], %[size], 0x42\n"              /* dmcpyi txid, size, 0b10 */
        : [txid] "=r"(txid)
        : [src_lo] "r"(src), [src_hi] "r"(0), [dst_lo] "r"(dst), [dst_hi] "r"(0),
          [src_stride] "r"(src_stride), [dst_stride] "r"(dst_stride), [repeat] "r"(repeat), [size] "r"(size)
        : "memory");
    return txid;
}

/* Status (DMA core only). */
static inline uint32_t snrt_dma_completed_id(void) {
    uint32_t id;
    asm volatile(".insn i 0x2b, 0, %0, x0, 0x80" : "=r"(id)::"memory"); /* dmstati id, 0 */
    return id;
}
static inline uint32_t snrt_dma_next_id(void) {
    uint32_t id;
    asm volatile(".insn i 0x2b, 0, %0, x0, 0x81" : "=r"(id)::"memory"); /* dmstati id, 1 */
    return id;
}
static inline uint32_t snrt_dma_busy(void) {
    uint32_t busy;
    asm volatile(".insn i 0x2b, 0, %0, x0, 0x82" : "=r"(busy)::"memory"); /* dmstati busy, 2 */
    return busy;
}

/* Wait until transfer `txid` is done (completed_id >= txid), polling as snRuntime does. */
static inline void snrt_dma_wait(snrt_dma_txid_t txid) {
    asm volatile(
        "1: .insn i 0x2b, 0, t0, x0, 0x80\n" /* dmstati t0, 0 */
        "   bltu t0, %[txid], 1b\n"
        :
        : [txid] "r"(txid)
        : "t0", "memory");
}

/* Wait until no transfer is in flight. */
static inline void snrt_dma_wait_all(void) {
    while (snrt_dma_busy())
        ;
}

/* -- register front-end (any hart) ---------------------------------------------------------- */

#define SNRT_DMA_REG(addr) (*(volatile uint32_t *)(addr))

static inline snrt_dma_txid_t snrt_dma_reg_start_2d(void *dst, const void *src, size_t size, size_t dst_stride,
                                                    size_t src_stride, size_t repeat) {
    SNRT_DMA_REG(SNRT_DMA_SRC) = (uint32_t)src;
    SNRT_DMA_REG(SNRT_DMA_DST) = (uint32_t)dst;
    SNRT_DMA_REG(SNRT_DMA_SIZE) = size;
    SNRT_DMA_REG(SNRT_DMA_SRC_STRIDE) = src_stride;
    SNRT_DMA_REG(SNRT_DMA_DST_STRIDE) = dst_stride;
    SNRT_DMA_REG(SNRT_DMA_REPS) = repeat;
    asm volatile("" ::: "memory");
    return SNRT_DMA_REG(SNRT_DMA_START);
}
static inline snrt_dma_txid_t snrt_dma_reg_start_1d(void *dst, const void *src, size_t size) {
    return snrt_dma_reg_start_2d(dst, src, size, 0, 0, 1);
}
static inline uint32_t snrt_dma_reg_completed_id(void) { return SNRT_DMA_REG(SNRT_DMA_COMPLETED_ID); }
static inline uint32_t snrt_dma_reg_busy(void) { return SNRT_DMA_REG(SNRT_DMA_BUSY); }
static inline void snrt_dma_reg_wait(snrt_dma_txid_t txid) {
    while (snrt_dma_reg_completed_id() < txid)
        ;
    asm volatile("" ::: "memory");
}
static inline void snrt_dma_reg_wait_all(void) {
    while (snrt_dma_reg_busy())
        ;
    asm volatile("" ::: "memory");
}

#endif
