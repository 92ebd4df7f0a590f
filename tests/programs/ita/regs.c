/* ITA registers, job timing, events and errors (tests/test_ita_peripheral.py).
 *
 * Linear-mode jobs (one 64x64x64 block each) on operands in L1, programmed register by register
 * from the DMA core (CASE 0: timing with mcycle, STATUS/FINISHED/ACQUIRE/RUNNING_JOB at the
 * reading hart's time, wfi woken by the completion event, job contexts) or a deliberate
 * error (CASE >= 1). The test checks the outputs against the golden model. */
#include <stdint.h>
#include "ita.h"
#include "snrt.h"

int8_t in_t[4096] SNRT_L1_BSS __attribute__((aligned(64)));
int8_t w_t[4096] SNRT_L1_BSS __attribute__((aligned(64)));
uint8_t bias_t[192] SNRT_L1_BSS __attribute__((aligned(64)));
int8_t out_t[4][4096] SNRT_L1_BSS __attribute__((aligned(64)));
int8_t l2_tile[4096] __attribute__((aligned(64)));

/* [0] cycles trigger -> FINISHED polled, [1] STATUS right after a trigger, [2] FINISHED then,
 * [3] cycles of a wfi wait, [4..7] ACQUIRE before each of 4 back-to-back triggers, [8] ACQUIRE
 * after them, [9] RUNNING_JOB then, [10] FINISHED after waiting, [11] STATUS when idle,
 * [12] cycles of 4 back-to-back jobs (trigger of the first to FINISHED = 4) */
volatile uint32_t info[16];

static uint32_t lcg = 12345;
static int8_t next8(void) {
    lcg = lcg * 1664525u + 1013904223u;
    return (int8_t)(lcg >> 24);
}

static void program_linear(void *out, uint32_t stream) {
    ITA_REG(ITA_REG_INPUT_PTR) = (uint32_t)in_t;
    ITA_REG(ITA_REG_WEIGHT_PTR0) = (uint32_t)w_t;
    ITA_REG(ITA_REG_WEIGHT_PTR1) = 0;
    ITA_REG(ITA_REG_BIAS_PTR) = (uint32_t)bias_t;
    ITA_REG(ITA_REG_OUTPUT_PTR) = (uint32_t)out;
    ITA_REG(ITA_REG_CTRL_STREAM) = stream;
}

/* mcycle around TRIGGER and the FINISHED polling loop: the store triggers 1 cycle after the
 * first read, FINISHED is polled every 2 cycles from 1 cycle after, the last read follows the
 * first poll that sees the job done by 2 cycles. */
static uint32_t timed_job(uint32_t want) {
    uint32_t c0, c1, f;
    asm volatile(
        "csrr %[c0], mcycle\n"
        "sw zero, 0(%[base])\n" /* TRIGGER */
        "1: lw %[f], 8(%[base])\n" /* FINISHED */
        "bltu %[f], %[want], 1b\n"
        "csrr %[c1], mcycle\n"
        : [c0] "=&r"(c0), [c1] "=&r"(c1), [f] "=&r"(f)
        : [base] "r"(SNRT_ITA_BASE), [want] "r"(want)
        : "memory");
    return c1 - c0;
}

static void dm_core(void) {
    for (int i = 0; i < 4096; i++) in_t[i] = next8();
    for (int i = 0; i < 4096; i++) w_t[i] = next8();
    for (int i = 0; i < 192; i++) bias_t[i] = (uint8_t)next8();
    for (int i = 2; i < 192; i += 3) bias_t[i] = (uint8_t)((int8_t)bias_t[i] >> 5); /* |bias| < 2^20 */

    ita_params_t p = {{0}};
    p.eps_mult[0] = 77;
    p.right_shift[0] = 15;
    p.add[0] = 3;
    p.activation = ITA_RELU;
    p.act_mult = 100;
    p.act_shift = 6;
    p.act_add = -2;
    ita_soft_clear();
    ita_configure(ITA_LINEAR, 64, 64, 64, 64, &p);
    const uint32_t stream = ITA_WEIGHT_PRELOAD;

#if CASE == 1 /* an operand outside L1 */
    program_linear(out_t[0], stream);
    ITA_REG(ITA_REG_INPUT_PTR) = (uint32_t)l2_tile;
    ITA_REG(ITA_REG_TRIGGER) = 0;
#elif CASE == 2 /* output disabled on the only (last) inner tile */
    program_linear(out_t[0], stream | ITA_OUTPUT_DISABLE);
    ITA_REG(ITA_REG_TRIGGER) = 0;
#elif CASE == 3 /* strict: the input is the destination of a DMA transfer still in flight */
    snrt_dma_start_1d(in_t, l2_tile, 4096);
    program_linear(out_t[0], stream);
    ITA_REG(ITA_REG_TRIGGER) = 0;
#elif CASE == 4 /* strict: the output is read before the job has finished */
    program_linear(out_t[0], stream);
    ITA_REG(ITA_REG_TRIGGER) = 0;
    info[0] = ((volatile int8_t *)out_t[0])[5];
#elif CASE == 5 /* strict: the DMA overwrites the weights of the running job */
    program_linear(out_t[0], stream);
    ITA_REG(ITA_REG_TRIGGER) = 0;
    snrt_dma_start_1d(w_t, l2_tile, 4096);
#elif CASE == 6 /* more triggers than job contexts, without ACQUIRE */
    program_linear(out_t[0], stream);
    for (int i = 0; i < 5; i++) ITA_REG(ITA_REG_TRIGGER) = 0;
#elif CASE == 7 /* weight_preload clear without a prefetch by the previous job (strict) */
    program_linear(out_t[0], 0);
    ITA_REG(ITA_REG_TRIGGER) = 0;
#else
    /* one job, timed */
    program_linear(out_t[0], stream);
    info[0] = timed_job(1);
    /* STATUS and FINISHED right after a trigger */
    program_linear(out_t[1], stream);
    ITA_REG(ITA_REG_TRIGGER) = 0;
    info[1] = ita_status();
    info[2] = ita_finished();
    /* sleep until the completion event */
    uint32_t c0 = snrt_mcycle();
    ita_wait_idle();
    info[3] = snrt_mcycle() - c0;
    /* four jobs back to back through the job contexts, with nextload prefetching the weights */
    uint32_t c1 = snrt_mcycle();
    for (int j = 0; j < 4; j++) {
        info[4 + j] = (uint32_t)ita_acquire();
        ita_job(in_t, w_t, w_t, bias_t, out_t[j], (j ? 0 : ITA_WEIGHT_PRELOAD) | ITA_WEIGHT_NEXTLOAD);
    }
    info[8] = (uint32_t)ita_acquire();
    info[9] = ITA_REG(ITA_REG_RUNNING_JOB);
    ita_wait_job(5);
    info[12] = snrt_mcycle() - c1;
    info[10] = ita_finished();
    info[11] = ita_status();
#endif
}

int main(void) {
    if (snrt_is_dm_core()) dm_core();
    return 0;
}
