/* One feed-forward block on ITA (tests/test_ita_peripheral.py): h = act(x W1^T + b1),
 * out = h W2^T + b2, operands written by the test, streamed through L1 by the DMA core. */
#include <stdint.h>
#include "ita.h"
#include "snrt.h"

#ifndef S
#define S 64
#endif
#ifndef E
#define E 64
#endif
#ifndef F
#define F 128
#endif

#define DATA __attribute__((section(".data.ita"), aligned(64)))

int8_t x[S * E] DATA;
int8_t w1[F * E] DATA, w2[E * F] DATA;
uint8_t b1[3 * F] DATA, b2[3 * E] DATA;
ita_params_t params __attribute__((section(".data.ita")));

int8_t h[S * F] __attribute__((aligned(64)));
int8_t out[S * E] __attribute__((aligned(64)));
volatile uint32_t cycles;

int main(void) {
    if (snrt_is_dm_core()) {
        ita_ffn_t f = {S, E, F, x, w1, w2, b1, b2, h, out, &params};
        uint32_t c0 = snrt_mcycle();
        ita_feedforward(&f);
        cycles = snrt_mcycle() - c0;
    }
    return 0;
}
