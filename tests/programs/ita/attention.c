/* One attention head on ITA through its registers (tests/test_ita_peripheral.py).
 *
 * The test writes the operands (tile-major, docs/ita-layouts.md) and the requantization and
 * activation constants into the symbols below before the run; the DMA core runs
 * ita_attention_head(), streaming every tile through L1, and the test compares q, k, vt, a, o
 * and out with the golden model. -DIN_L1 keeps every operand and result in L1 instead (ITA
 * then reads and writes them in place). */
#include <stdint.h>
#include "ita.h"
#include "snrt.h"

#ifndef S
#define S 64
#endif
#ifndef E
#define E 64
#endif
#ifndef P
#define P 64
#endif

#ifdef IN_L1
#define DATA __attribute__((section(".l1.ita"), aligned(64)))
#define SCRATCH __attribute__((section(".l1bss.ita"), aligned(64)))
#else
#define DATA __attribute__((section(".data.ita"), aligned(64)))
#define SCRATCH __attribute__((aligned(64)))
#endif

int8_t x[S * E] DATA;
int8_t wq[P * E] DATA, wk[P * E] DATA, wv[P * E] DATA, wo[E * P] DATA;
uint8_t bq[3 * P] DATA, bk[3 * P] DATA, bv[3 * P] DATA, bo[3 * E] DATA;
ita_params_t params __attribute__((section(".data.ita")));
uint32_t use_bias __attribute__((section(".data.ita")));

int8_t q[S * P] SCRATCH, k[S * P] SCRATCH, vt[P * S] SCRATCH, a[S * S] SCRATCH, o[S * P] SCRATCH;
int8_t out[S * E] SCRATCH;
volatile uint32_t cycles;

int main(void) {
    if (snrt_is_dm_core()) {
        ita_attention_t h = {S, E, P, x, x, wq, wk, wv, wo, 0, 0, 0, 0, q, k, vt, a, o, out, &params};
        if (use_bias) {
            h.bq = bq;
            h.bk = bk;
            h.bv = bv;
            h.bo = bo;
        }
        uint32_t c0 = snrt_mcycle();
        ita_attention_head(&h);
        cycles = snrt_mcycle() - c0;
    }
    return 0;
}
