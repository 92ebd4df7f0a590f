/* int8 GEMM on the 8 compute cores: C[M][N] (int32) = A[M][K] (int8) x B[K][N] (int8).
 * Rows are dealt round-robin to the cores; operands live in L1. Core 0 makes the inputs
 * (a fixed LCG, so tests can recompute them) and prints a checksum and the cycle count. */
#include <stdint.h>
#include <stdio.h>
#include "snrt.h"

#ifndef M
#define M 32
#endif
#ifndef N
#define N 32
#endif
#ifndef K
#define K 32
#endif
#ifndef REPS
#define REPS 1
#endif

SNRT_L1_BSS int8_t A[M * K];
SNRT_L1_BSS int8_t B[K * N];
SNRT_L1_BSS int32_t C[M * N];

static uint32_t lcg_state = 12345u;
static int8_t lcg_int8(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}

static void gemm_rows(unsigned first, unsigned step) {
    for (unsigned i = first; i < M; i += step) {
        const int8_t *a = &A[i * K];
        for (unsigned j = 0; j < N; j++) {
            int32_t acc = 0;
            for (unsigned k = 0; k < K; k++) acc += a[k] * B[k * N + j];
            C[i * N + j] = acc;
        }
    }
}

int main(void) {
    unsigned core = snrt_cluster_core_idx();
    unsigned cores = snrt_cluster_compute_core_num();
    if (core == 0) {
        for (unsigned i = 0; i < M * K; i++) A[i] = lcg_int8();
        for (unsigned i = 0; i < K * N; i++) B[i] = lcg_int8();
    }
    snrt_cluster_hw_barrier();
    uint32_t start = snrt_mcycle();
    if (snrt_is_compute_core())
        for (unsigned r = 0; r < REPS; r++) gemm_rows(core, cores);
    snrt_cluster_hw_barrier();
    uint32_t cycles = snrt_mcycle() - start;
    if (core == 0) {
        uint32_t checksum = 0;
        for (unsigned i = 0; i < M * N; i++) checksum = checksum * 31u + (uint32_t)C[i];
        printf("int8 GEMM %ux%ux%u on %u cores: %lu cycles, %lu MAC/cycle x100, checksum 0x%08lx\n", M, N, K,
               cores, (unsigned long)cycles, (unsigned long)(100ull * M * N * K * REPS / cycles),
               (unsigned long)checksum);
    }
    return 0;
}
