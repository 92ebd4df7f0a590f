/* The DMA core's side of the tile loop (deploy_tiles.h). */
#include "deploy_tiles.h"

#include "dma.h"

volatile uint32_t deploy_dma_bytes;
volatile uint32_t dtile_work_epoch;

/* Move operand `o`'s block of tile t between home memory and its L1 slot. */
static void move(const dtile_plan_t *plan, const dtile_operand_t *o, uint32_t t, int to_l1) {
    const uint32_t j = t % plan->col_tiles;
    const uint32_t i = (t / plan->col_tiles) % plan->row_tiles;
    const uint32_t b = t / (plan->col_tiles * plan->row_tiles);
    const uint32_t rows = o->rows ? o->rows : (i == plan->row_tiles - 1 ? plan->last_rows : plan->tile_rows);
    const uint32_t cols = o->cols ? o->cols : (j == plan->col_tiles - 1 ? plan->last_cols : plan->tile_cols);
    const uint32_t row_bytes = cols * o->elem;
    uint8_t *home = o->mem + b * o->batch_step;
    if (!o->rows) home += i * plan->tile_rows * o->ld;
    if (!o->cols) home += j * plan->tile_cols * o->elem;
    uint8_t *slot = o->role == DTILE_RESIDENT ? o->slot[0] : o->slot[t & 1];
    if (rows == 0 || row_bytes == 0) return;
    if (row_bytes == o->ld || rows == 1) { /* contiguous: one 1-D transfer */
        if (to_l1) snrt_dma_start_1d(slot, home, rows * row_bytes);
        else snrt_dma_start_1d(home, slot, rows * row_bytes);
    } else if (to_l1) {
        snrt_dma_start_2d(slot, home, row_bytes, row_bytes, o->ld, rows);
    } else {
        snrt_dma_start_2d(home, slot, row_bytes, o->ld, row_bytes, rows);
    }
    deploy_dma_bytes += rows * row_bytes;
}

void dtile_dma_phase(const dtile_plan_t *plan, uint32_t phase) {
    if (phase == 0) dtile_work_epoch++;
    for (uint32_t k = 0; k < plan->operands; k++) {
        const dtile_operand_t *o = &plan->op[k];
        if (o->role == DTILE_RESIDENT && phase == 0) move(plan, o, 0, 1);
        if (o->role == DTILE_STORE && phase >= 2 && phase - 2 < plan->tiles) move(plan, o, phase - 2, 0);
        if (o->role == DTILE_LOAD && phase < plan->tiles) move(plan, o, phase, 1);
    }
    snrt_dma_wait_all();
}
