/* Single-hart GEMM benchmark for our simulator (run with --cores 1): the kernel of
 * gemm_kernel.h on core 0, operands in L1. Prints the checksum that qemu/gemm_qemu.c prints. */
#include <stdio.h>
#include "snrt.h"
#include "gemm_kernel.h"

SNRT_L1_BSS int8_t A[M * K];
SNRT_L1_BSS int8_t B[K * N];
SNRT_L1_BSS int32_t C[M * N];

int main(void) {
    if (snrt_cluster_core_idx() != 0) return 0;
    gemm_init(A, B);
    gemm_kernel(A, B, C, 0, 1, gemm_reps);
    printf("checksum 0x%08lx\n", (unsigned long)gemm_checksum(C));
    return 0;
}
