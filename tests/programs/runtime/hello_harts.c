/* Every hart prints one line; the DMA core says so. */
#include <stdio.h>
#include "snrt.h"

int main(void) {
    printf("hart %u of %u (%s)\n", (unsigned)snrt_cluster_core_idx(), (unsigned)snrt_cluster_core_num(),
           snrt_is_dm_core() ? "dma" : "core");
    return 0;
}
