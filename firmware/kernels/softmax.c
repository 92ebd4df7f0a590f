/* Integer softmaxes over the last axis (deploy/golden/softmax.py): iSoftmax (I-BERT), ITAMax
 * (Deeploy's whole-row variant) and ITAPartialMax (Deeploy's streaming variant). Results are the
 * unsigned values q (0..n_levels-1) stored as uint8 bytes q ^ out_xor (0x80: the int8 q - 128 that
 * ITA's signed A.V reads). Rows are dealt in contiguous blocks. */
#include "kernels.h"
#include "kernels_common.h"

/* ------------------------------------------------------------------ iSoftmax */

typedef struct {
    int32_t a, b, c, log2;
} ibert_t;

/* y = (uint64(int64(A*((p+B)^2)) + C) >> z) & U32 for one x~ = x - max (softmax.i_softmax). */
static inline uint32_t ibert_exp(int32_t diff, const ibert_t *k) {
    int32_t x_tilde = (int16_t)diff;
    int32_t z = (int8_t)(-(x_tilde / k->log2));
    if (z < 0) z = 0;
    if (z > 31) z = 31;
    int32_t p = (int16_t)((uint32_t)x_tilde + (uint32_t)z * (uint32_t)k->log2);
    uint32_t t = (uint32_t)p + (uint32_t)k->b;
    int32_t square = (int32_t)((uint32_t)k->a * (t * t));
    int64_t s = (int64_t)square + k->c;
    uint32_t lo = (uint32_t)s, hi = (uint32_t)((uint64_t)s >> 32);
    return z ? (lo >> z) | (hi << (32 - z)) : lo;
}

static inline int32_t row_max(const int8_t *x, uint32_t n) {
    int32_t m = x[0];
    for (uint32_t i = 1; i < n; i++)
        if (x[i] > m) m = x[i];
    return m;
}

void kernel_isoftmax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, int32_t coeff_a,
                          int32_t coeff_b, int32_t coeff_c, int32_t log2, uint32_t n_levels, uint32_t *scratch,
                          uint32_t out_xor, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (n == 0) return;
    const ibert_t k = {coeff_a, coeff_b, coeff_c, log2};
    const uint32_t scale = n_levels - 1;
    uint32_t *y = scratch ? scratch + core * n : 0;
    for (uint32_t r = first; r < last; r++) {
        const int8_t *x = in + r * n;
        uint8_t *o = out + r * n;
        const int32_t max = row_max(x, n);
        uint32_t sum = 0;
        if (y) {
            for (uint32_t i = 0; i < n; i++) sum += y[i] = ibert_exp(x[i] - max, &k);
            for (uint32_t i = 0; i < n; i++) o[i] = (uint8_t)((y[i] * scale / sum) ^ out_xor);
        } else {
            for (uint32_t i = 0; i < n; i++) sum += ibert_exp(x[i] - max, &k);
            for (uint32_t i = 0; i < n; i++) o[i] = (uint8_t)((ibert_exp(x[i] - max, &k) * scale / sum) ^ out_xor);
        }
    }
}

/* ------------------------------------------------------------------ ITAMax, ITAPartialMax */

/* (uint8)((diff + 16) >> 5): the ITA exponent, arithmetic shift as in the golden. */
static inline uint32_t ita_shift(int32_t diff) { return (uint32_t)((diff + 16) >> 5) & 0xFFu; }

/* value >> shift for values below 2^32; 0 once the shift passes the width (golden _halve). */
static inline uint32_t halve(uint32_t value, uint32_t shift) { return shift < 32 ? value >> shift : 0; }

/* The largest element of x[0..n), n >= 1; four per iteration. */
static inline int32_t row_max_unrolled(const int8_t *x, uint32_t n) {
    int32_t m = x[0];
    const int8_t *stop = x + (n & ~3u);
    for (; x != stop; x += 4) {
        int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        if (x0 > m) m = x0;
        if (x1 > m) m = x1;
        if (x2 > m) m = x2;
        if (x3 > m) m = x3;
    }
    for (uint32_t i = 0; i < (n & 3u); i++)
        if (x[i] > m) m = x[i];
    return m;
}

/* ITAMax's exponent is shift = (max - x + 16) >> 5 = e >> 5 with e = max + 16 - x in 16..271, so
 * shift <= 8 and every element adds 256 >> shift >= 1 to the sum. The table holds that term minus
 * one, 255 >> (e >> 5), which fits a byte: the sum pass is a load, a subtract, a table load and an
 * add per element (the n missing ones are added once). Index e, 272 bytes, 32 per shift value. */
#define ITAMAX_TABLE 272
static inline void itamax_term_table(uint32_t *words) {
    for (uint32_t shift = 0, i = 0; shift <= 8; shift++) {
        const uint32_t bytes = (255u >> shift) * 0x01010101u;
        for (uint32_t j = 0; j < 8 && i < ITAMAX_TABLE / 4; j++) words[i++] = bytes;
    }
}

/* The store passes write eight elements per iteration (the loop's three instructions spread over
 * eight stores). */
#define EIGHT(store) \
    do {             \
        store(0);    \
        store(1);    \
        store(2);    \
        store(3);    \
        store(4);    \
        store(5);    \
        store(6);    \
        store(7);    \
    } while (0)

/* The store pass of one row: o[i] = (inverse >> shift_i) ^ out_xor. Inlined once with out_xor 0 (the
 * loop of the plain softmax, no XOR) and once with the caller's value (one XOR per element). */
static inline __attribute__((always_inline)) void itamax_store(const int8_t *x, uint8_t *o, uint32_t n, uint32_t e_max,
                                                               uint32_t inverse, uint32_t out_xor) {
    const int8_t *p = x, *stop = x + (n & ~7u);
#define SHIFTED(k) o[k] = (uint8_t)((inverse >> ((e_max - p[k]) >> 5)) ^ out_xor)
    for (; p != stop; p += 8, o += 8) EIGHT(SHIFTED);
    for (uint32_t k = 0; k < (n & 7u); k++) SHIFTED(k);
#undef SHIFTED
}

/* The store pass through a table of the row's outputs, indexed like the term table: entry e is
 * (inverse >> (e >> 5)) ^ out_xor (e in 16..271, 64 word stores). A store then costs a load, a
 * subtract, a table load and a store, with the XOR folded in: one instruction per element less
 * than itamax_store, two with a XOR. Worth it when that saves more than building the table costs
 * (about 155 instructions, compiled: n > 80 with a XOR, n > 160 without). */
#define ITAMAX_OUT_TABLE_COST 160u
static void itamax_out_table(uint32_t *words, uint32_t inverse, uint32_t out_xor) {
    uint32_t *w = words + 4; /* e < 16 never occurs */
    w[0] = w[1] = w[2] = w[3] = ((inverse ^ out_xor) & 0xFFu) * 0x01010101u;
    w += 4;
    for (uint32_t shift = 1; shift < 8; shift++, w += 8) {
        const uint32_t bytes = (((inverse >> shift) ^ out_xor) & 0xFFu) * 0x01010101u;
        w[0] = w[1] = w[2] = w[3] = w[4] = w[5] = w[6] = w[7] = bytes;
    }
    w[0] = w[1] = w[2] = w[3] = (((inverse >> 8) ^ out_xor) & 0xFFu) * 0x01010101u;
}

static void itamax_store_table(const int8_t *x, uint8_t *o, uint32_t n, const uint8_t *value) {
    const int8_t *p = x, *stop = x + (n & ~7u);
#define LOOKED_UP(k) o[k] = value[-p[k]]
    for (; p != stop; p += 8, o += 8) EIGHT(LOOKED_UP);
    for (uint32_t k = 0; k < (n & 7u); k++) LOOKED_UP(k);
#undef LOOKED_UP
}

void kernel_itamax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, uint32_t n_levels,
                        uint32_t out_xor, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (n == 0 || first >= last) return;
    uint32_t table[ITAMAX_TABLE / 4], out_table[ITAMAX_TABLE / 4];
    itamax_term_table(table);
    const uint32_t numerator = (n_levels - 1) * 256;
    const int use_out_table = n * (out_xor ? 2u : 1u) > ITAMAX_OUT_TABLE_COST;
    for (uint32_t r = first; r < last; r++) {
        const int8_t *x = in + r * n, *stop = x + (n & ~3u);
        uint8_t *o = out + r * n;
        const uint32_t e_max = (uint32_t)(row_max_unrolled(x, n) + 16);
        /* term[-x] is table[e_max - x]: one subtract per element (e_max - x is in 16..271) */
        const uint8_t *term = (const uint8_t *)((uintptr_t)table + e_max);
        uint32_t sum = n;
        const int8_t *p = x;
        for (; p != stop; p += 4) sum += term[-p[0]] + term[-p[1]] + term[-p[2]] + term[-p[3]];
        for (uint32_t i = 0; i < (n & 3u); i++) sum += term[-p[i]];
        const uint32_t inverse = numerator / sum; /* sum >= 256: the maximum adds 256 */
        if (use_out_table) {
            itamax_out_table(out_table, inverse, out_xor);
            itamax_store_table(x, o, n, (const uint8_t *)((uintptr_t)out_table + e_max));
        } else if (out_xor)
            itamax_store(x, o, n, e_max, inverse, out_xor);
        else
            itamax_store(x, o, n, e_max, inverse, 0);
    }
}

/* The store pass of one row, inlined with out_xor 0 and with the caller's value (see itamax_store). */
static inline __attribute__((always_inline)) void itapartialmax_store(const int8_t *x, uint8_t *o, uint32_t n,
                                                                      int32_t global_max, uint32_t inverse,
                                                                      uint32_t out_xor) {
    for (uint32_t i = 0; i < n; i++) o[i] = (uint8_t)(halve(inverse, ita_shift(global_max - x[i])) ^ out_xor);
}

void kernel_itapartialmax_s8u8(const int8_t *in, uint8_t *out, uint32_t rows, uint32_t n, uint32_t group_width,
                               uint32_t n_levels, uint32_t out_xor, uint32_t core, uint32_t cores) {
    uint32_t first, last;
    kernel_share(rows, core, cores, &first, &last);
    if (n == 0 || group_width == 0) return;
    const uint32_t numerator = (n_levels / 2 - 1) * 256;
    for (uint32_t r = first; r < last; r++) {
        const int8_t *x = in + r * n;
        uint8_t *o = out + r * n;
        int32_t global_max = -128; /* the type minimum of int8 */
        uint32_t partial_sum = 0;
        for (uint32_t start = 0; start + group_width <= n; start += group_width) {
            const int8_t *block = x + start;
            int32_t current_max = row_max(block, group_width);
            uint32_t shift_sum = 0;
            if (current_max > global_max) {
                shift_sum = (uint32_t)((current_max - global_max + 16) >> 5);
                global_max = current_max;
            }
            uint32_t exp_sum = 0;
            for (uint32_t i = 0; i < group_width; i++) exp_sum += halve(256, ita_shift(global_max - block[i]));
            partial_sum = halve(partial_sum, shift_sum) + exp_sum;
        }
        const uint32_t inverse = numerator / partial_sum;
        if (out_xor)
            itapartialmax_store(x, o, n, global_max, inverse, out_xor);
        else
            itapartialmax_store(x, o, n, global_max, inverse, 0);
    }
}
