/* L2 <-> L1 tiling of the compute cores' layers (deploy/tiling.py plans it, deploy/codegen.py
 * emits the loop).
 *
 * A tiled kernel call runs on a grid of tiles (batch b, row tile i, column tile j; tile t is
 * (b*row_tiles + i)*col_tiles + j). Every operand of the call is a block of a row-major matrix
 * in L2 (or L1): the tile's rows (or a fixed number of rows) times the tile's columns (or a fixed
 * number). The DMA core moves each block into a dense L1 slot (row stride = the block's row
 * bytes), the compute cores run the kernel on the slots, the DMA core writes result blocks back.
 *
 * Double buffering, one barrier per phase: phase p (0 .. tiles+1), the DMA core stores the
 * results of tile p-2 and loads the operands of tile p (into slot p & 1) while the compute cores
 * run tile p-1; then it waits for its transfers and everybody meets at the barrier. Resident
 * operands (the same block for every tile: weights that fit, per-channel parameters) are loaded
 * once, in phase 0; scratch operands only get an L1 slot.
 *
 * deploy_dma_bytes counts every byte the deploy flow's DMA transfers move (tiles here, ITA's
 * operands in deploy_ita.c): the per-layer "DMA bytes" of the report. */
#ifndef DEPLOY_TILES_H
#define DEPLOY_TILES_H

#include <stdint.h>

#define DTILE_LOAD 0u     /* read by the kernel: one block per tile, double-buffered */
#define DTILE_STORE 1u    /* written by the kernel: one block per tile, double-buffered */
#define DTILE_RESIDENT 2u /* read by the kernel, the same block for every tile: loaded once */
#define DTILE_SCRATCH 3u  /* the kernel's scratch: an L1 slot, never moved */

typedef struct {
    uint8_t *mem;         /* the block of tile (0, 0, 0) in its home memory */
    uint8_t *slot[2];     /* L1 slots (slot[1] == slot[0] when there is one) */
    uint32_t ld;          /* bytes from one row to the next in home memory */
    uint32_t batch_step;  /* bytes from one batch index to the next in home memory */
    uint32_t rows;        /* fixed rows, or 0: the tile's rows */
    uint32_t cols;        /* fixed columns (elements), or 0: the tile's columns */
    uint32_t elem;        /* bytes per element */
    uint32_t role;        /* DTILE_* */
} dtile_operand_t;

typedef struct {
    uint32_t tiles;                 /* batches * row_tiles * col_tiles */
    uint32_t row_tiles, col_tiles;
    uint32_t tile_rows, last_rows;  /* rows of a row tile, of the last one */
    uint32_t tile_cols, last_cols;  /* columns of a column tile, of the last one */
    uint32_t operands;
    const dtile_operand_t *op;
} dtile_plan_t;

extern volatile uint32_t deploy_dma_bytes;
/* Counts the tiled calls that have used the L1 work region: the ITA driver, which keeps slot
 * state there between its calls, starts afresh when it changed. */
extern volatile uint32_t dtile_work_epoch;

/* The DMA core's part of phase p (0 .. plan->tiles + 1), including the wait for its transfers. */
void dtile_dma_phase(const dtile_plan_t *plan, uint32_t phase);

#endif
