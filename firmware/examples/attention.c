/* One attention head and one feed-forward block on ITA (PLATFORM.md section 4).
 *
 * A MobileBERT-sized layer slice by default: S = 128 tokens, E = 128, one head of P = 64, an FFN
 * of F = 512 with i-GELU. The input X, the weights and the biases live in L2 (made by a fixed
 * LCG, so tests can recompute them); the DMA core runs ITA job by job (firmware/runtime/ita.c),
 * double-buffering every input, weight and bias tile from L2 into L1 with the DMA while ITA
 * works on the previous one. The attention intermediates (Q, K, V^T, the logits A, O) stay in
 * L1, where ITA reads and writes them in place; the head's output Y and the FFN's hidden
 * activations H go back to L2. The FFN runs on the head's output. The DMA core prints the
 * cycles of each part and the MACs per cycle; `iss run` reports ITA's busy cycles and MAC
 * utilisation. tests/test_ita_peripheral.py checks every result against the golden model. */
#include <stdint.h>
#include <stdio.h>
#include "ita.h"
#include "snrt.h"

#ifndef S
#define S 128
#endif
#ifndef E
#define E 128
#endif
#ifndef P
#define P 64
#endif
#ifndef F
#define F 512
#endif

#define TILED __attribute__((aligned(64)))
#define L1_TILED __attribute__((section(".l1bss"), aligned(64)))

/* L2: inputs and weights (tile-major, weights out x in), packed 24-bit biases, results */
int8_t X[S * E] TILED;
int8_t Wq[P * E] TILED, Wk[P * E] TILED, Wv[P * E] TILED, Wo[E * P] TILED;
int8_t W1[F * E] TILED, W2[E * F] TILED;
uint8_t Bq[3 * P], Bk[3 * P], Bv[3 * P], Bo[3 * E], B1[3 * F], B2[3 * E];
int8_t Y[S * E] TILED;   /* attention head output */
int8_t H[S * F] TILED;   /* FFN hidden activations (after i-GELU) */
int8_t OUT[S * E] TILED; /* FFN output */
/* L1: the head's intermediates */
int8_t Q[S * P] L1_TILED, K[S * P] L1_TILED, VT[P * S] L1_TILED, A[S * S] L1_TILED, O[S * P] L1_TILED;

/* requantization sets Q, K, V, QK, AV, OW, F1, F2 and PyITA's i-GELU constants (scale 1/32) */
const ita_params_t params = {
    .eps_mult = {100, 100, 100, 100, 100, 100, 100, 100},
    .right_shift = {18, 18, 18, 13, 12, 15, 16, 18},
    .add = {0, 0, 0, 0, 0, 0, 0, 0},
    .gelu_b = -80,
    .gelu_c = -7091,
    .act_mult = 74,
    .act_shift = 20,
    .act_add = 0,
    .activation = ITA_GELU,
};

volatile uint32_t cycles[2]; /* attention, FFN */

static uint32_t lcg_state = 12345u;
static int8_t lcg_int8(void) {
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return (int8_t)(lcg_state >> 24);
}
static void fill(int8_t *m, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) m[i] = lcg_int8();
}
/* n biases in [-2^12, 2^12), packed 24-bit little-endian */
static void fill_bias(uint8_t *b, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        int32_t v = (int32_t)lcg_int8() * 32 + (lcg_int8() & 31);
        b[3 * i] = (uint8_t)v;
        b[3 * i + 1] = (uint8_t)(v >> 8);
        b[3 * i + 2] = (uint8_t)(v >> 16);
    }
}

static void report(const char *what, uint32_t c, uint64_t macs) {
    printf("%s: %lu cycles, %lu MACs, %lu.%02lu MAC/cycle (ITA peak 1024)\n", what, (unsigned long)c,
           (unsigned long)macs, (unsigned long)(macs / c), (unsigned long)(macs * 100 / c % 100));
}

int main(void) {
    if (!snrt_is_dm_core()) return 0;
    fill(X, S * E);
    fill(Wq, P * E);
    fill(Wk, P * E);
    fill(Wv, P * E);
    fill(Wo, E * P);
    fill(W1, F * E);
    fill(W2, E * F);
    fill_bias(Bq, P);
    fill_bias(Bk, P);
    fill_bias(Bv, P);
    fill_bias(Bo, E);
    fill_bias(B1, F);
    fill_bias(B2, E);

    ita_attention_t head = {S, E, P, X, X, Wq, Wk, Wv, Wo, Bq, Bk, Bv, Bo, Q, K, VT, A, O, Y, &params};
    uint32_t c0 = snrt_mcycle();
    ita_attention_head(&head);
    uint32_t c1 = snrt_mcycle();
    ita_ffn_t ffn = {S, E, F, Y, W1, W2, B1, B2, H, OUT, &params};
    ita_feedforward(&ffn);
    uint32_t c2 = snrt_mcycle();
    cycles[0] = c1 - c0;
    cycles[1] = c2 - c1;

    const uint64_t head_macs = (uint64_t)S * E * P * 3 + (uint64_t)S * S * P * 2 + (uint64_t)S * P * E;
    const uint64_t ffn_macs = (uint64_t)S * E * F * 2;
    printf("ITA attention head S=%u E=%u P=%u and FFN F=%u (i-GELU), tiles streamed from L2 by the DMA core\n", S, E, P,
           F);
    report("attention head", cycles[0], head_macs);
    report("feed-forward  ", cycles[1], ffn_macs);
    report("total         ", cycles[0] + cycles[1], head_macs + ffn_macs);
    return 0;
}
