/* Helpers shared by the kernel sources (not part of the kernel API). */
#ifndef KERNELS_COMMON_H
#define KERNELS_COMMON_H

#include <stdint.h>

/* int32 arithmetic that wraps modulo 2^32 like the golden's wrap_int32 (no C overflow UB). */
static inline int32_t wrap_add(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t wrap_sub(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }
static inline int32_t wrap_mul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }

/* value >> shift (arithmetic) as numpy computes it on int64 data holding an int32: shifts past
 * 31 give the sign (0 or -1) instead of C's undefined behaviour. */
static inline int32_t sra32(int32_t value, uint32_t shift) {
    return shift > 31 ? (value < 0 ? -1 : 0) : value >> shift;
}

/* Elements [i, last) whose two parameter arrays are indexed i % w_len and i % b_len (a length of
 * 1: one value for all) are walked in runs cut where either index wraps, so that the element
 * loops keep no counters (iNoNorm, and the iNoNorm of the fused residual kernel):
 *     uint32_t wi = param_index(i, w_len), bi = param_index(i, b_len);
 *     while (i < last) {
 *         const uint32_t n = param_run(last - i, w_len, wi, b_len, bi);
 *         ... n elements from i with parameters from wi, bi ...
 *         i += n;
 *         wi = param_index_after(wi, n, w_len);
 *         bi = param_index_after(bi, n, b_len);
 *     }
 * (plain scalars rather than a struct: they stay in registers around the run's call) */
static inline uint32_t param_index(uint32_t i, uint32_t len) { return len > 1 ? i % len : 0; }

static inline uint32_t param_run(uint32_t left, uint32_t w_len, uint32_t wi, uint32_t b_len, uint32_t bi) {
    if (w_len > 1 && left > w_len - wi) left = w_len - wi;
    if (b_len > 1 && left > b_len - bi) left = b_len - bi;
    return left;
}

static inline uint32_t param_index_after(uint32_t index, uint32_t n, uint32_t len) {
    if (len > 1 && (index += n) == len) index = 0;
    return index;
}

/* C truncating division of int64 values, in 32 bits when both fit (the result is the same). */
static inline int64_t div64(int64_t n, int32_t d) {
    if (n == (int32_t)n && !((int32_t)n == INT32_MIN && d == -1)) return (int32_t)n / d;
    return n / d;
}

/* deploy.integers.plp_isqrt: `_plp_sqrt_q32(fracBits=0)`, a binary search over 0..46342 with
 * int32 (wrapping) squares; 0 for n <= 0. */
static inline int32_t plp_isqrt(int32_t n) {
    int32_t start = 0, end = 46342, root = 0;
    if (n <= 0) return 0;
    while (start <= end) {
        int32_t mid = (start + end) >> 1;
        int32_t square = wrap_mul(mid, mid);
        if (square == n) return mid;
        if (square < n) {
            start = mid + 1;
            root = mid;
        } else {
            end = mid - 1;
        }
    }
    return root;
}

#endif
