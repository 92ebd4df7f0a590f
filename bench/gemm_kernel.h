/* The int8 GEMM of firmware/examples/gemm.c as one self-contained kernel, shared by the two
 * single-hart benchmark programs: gemm_iss.c (our cluster, --cores 1) and qemu/gemm_qemu.c
 * (qemu-system-riscv32 -machine virt). Both are compiled with the same compiler and flags, and
 * the kernel takes its operands as arguments, so `gemm_kernel` assembles to the same bytes in
 * both ELFs; bench_fast.py checks that before comparing speeds.
 *
 * C[M][N] (int32) = A[M][K] (int8) x B[K][N] (int8), rows first, first+step, ..., REPS times. */
#ifndef GEMM_KERNEL_H
#define GEMM_KERNEL_H

#include <stdint.h>

#ifndef M
#define M 64
#endif
#ifndef N
#define N 64
#endif
#ifndef K
#define K 64
#endif
#ifndef REPS
#define REPS 1
#endif

/* noipa: no inlining, cloning or constant propagation into the kernel, so its code depends on
 * neither the caller nor where the operands live. */
__attribute__((noipa)) void gemm_kernel(const int8_t *A, const int8_t *B, int32_t *C, unsigned first,
                                        unsigned step, unsigned reps) {
    for (unsigned r = 0; r < reps; r++) {
        for (unsigned i = first; i < M; i += step) {
            const int8_t *a = &A[i * K];
            for (unsigned j = 0; j < N; j++) {
                int32_t acc = 0;
                for (unsigned k = 0; k < K; k++) acc += a[k] * B[k * N + j];
                C[i * N + j] = acc;
            }
        }
    }
}

/* REPS through memory, so that the code around the kernel does not depend on it and the
 * instruction count is exactly linear in REPS. */
static volatile unsigned gemm_reps = REPS;

/* The inputs of gemm.c: a fixed LCG. */
static inline void gemm_init(int8_t *A, int8_t *B) {
    uint32_t s = 12345u;
    for (unsigned i = 0; i < M * K; i++) {
        s = s * 1664525u + 1013904223u;
        A[i] = (int8_t)(s >> 24);
    }
    for (unsigned i = 0; i < K * N; i++) {
        s = s * 1664525u + 1013904223u;
        B[i] = (int8_t)(s >> 24);
    }
}

static inline uint32_t gemm_checksum(const int32_t *C) {
    uint32_t checksum = 0;
    for (unsigned i = 0; i < M * N; i++) checksum = checksum * 31u + (uint32_t)C[i];
    return checksum;
}

#endif
