/* The requantization step of the RequantShift kernels (not part of the kernel API):
 * clip(int32(x*mul + add + 2^(log2d-1)) >> log2d, lo, hi), modulo-2^32 arithmetic; the shift
 * clamp is shared with iNoNorm and the fused residual kernel's iNoNorm. */
#ifndef REQUANT_COMMON_H
#define REQUANT_COMMON_H

#include <stdint.h>

/* 2^(log2d-1) as the golden adds it, taken modulo 2^32 (0 for log2d 0 and for log2d > 32). */
static inline uint32_t requant_rounding(uint32_t log2d) {
    return log2d > 0 && log2d < 33 ? 1u << (log2d - 1) : 0;
}

/* The arithmetic shift of an int32 by log2d as numpy does it: past 31 it gives the sign, which is
 * a shift by 31; so clamping once per call takes sra32's test out of the element loop. */
static inline uint32_t requant_shift_amount(uint32_t log2d) { return log2d > 31 ? 31 : log2d; }

/* One element; `add` already holds the rounding constant. The clips are branches: on the
 * simulator a branch costs one instruction, fewer than RV32IM's branch-free min/max sequences. */
static inline __attribute__((always_inline)) int32_t requant_value(int32_t x, uint32_t mul, uint32_t add,
                                                                   uint32_t shift, int32_t lo, int32_t hi) {
    int32_t v = (int32_t)((uint32_t)x * mul + add) >> shift;
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
}

#endif
