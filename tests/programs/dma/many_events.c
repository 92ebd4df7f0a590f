/* wfi after many polled transfers (tests/test_dma.py): every completion is an event that every
 * hart latches; a hart that polls never consumes them. After more transfers than the latch
 * keeps (iss/events.py MAX_LATCHED), a wfi that waits for the next completion must still wake.
 * (The deploy flow does this: tiles waited for by polling, then the ITA driver's wfi loops.) */
#include <stdint.h>
#include "snrt.h"

#define POLLED 1500

uint8_t l2_src[64] __attribute__((aligned(64)));
uint8_t l1_dst[64] SNRT_L1_BSS __attribute__((aligned(64)));
volatile uint32_t last_id;

int main(void) {
    if (snrt_is_dm_core()) {
        for (uint32_t i = 0; i < POLLED; i++) snrt_dma_wait(snrt_dma_start_1d(l1_dst, l2_src, 64));
        for (uint32_t i = 0; i < POLLED; i++) snrt_dma_start_1d(l1_dst, l2_src, 64); /* queued, never waited for */
        snrt_dma_wait_all();
        const snrt_dma_txid_t id = snrt_dma_start_1d(l1_dst, l2_src, 64);
        while (snrt_dma_completed_id() < id) asm volatile("wfi" ::: "memory");
        last_id = id;
    }
    snrt_cluster_hw_barrier();
    return 0;
}
