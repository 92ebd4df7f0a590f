/* Timing model of the detailed engine (PLATFORM.md section 6), measured with mcycle around
 * hand-written sequences on hart 0. Each delta = instructions from the first csrr (included)
 * to the second (excluded) + stall cycles; tests/test_detailed.py has the expected values. */
#include <stdint.h>
#include "snrt.h"

uint32_t deltas[12];
uint32_t l2_words[8] = {1, 2, 3, 4, 5, 6, 7, 8}; /* .data: L2 */
double l2_doubles[3] = {1.0, 2.0, 3.0};
float l2_floats[2] = {1.0f, 2.0f};
SNRT_L1 uint32_t l1_words[8] = {1, 2, 3, 4, 5, 6, 7, 8};
SNRT_L1 double l1_spill[2];

#define REP8(s) s s s s s s s s
#define REP10(s) s s s s s s s s s s

int main(void) {
    if (snrt_cluster_core_idx() != 0) return 0;
    uint32_t t0, t1;

    /* 0: dependent fp64 chain, 8 x fadd.d: +2 stall cycles per dependent op */
    asm volatile("fld ft0, 0(%2)\n fld ft1, 8(%2)\n csrr %0, mcycle\n" REP8("fadd.d ft0, ft0, ft1\n") "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles) : "ft0", "ft1", "memory");
    deltas[0] = t1 - t0;

    /* 1: independent fp64 ops: no stall */
    asm volatile("fld ft0, 0(%2)\n fld ft1, 8(%2)\n csrr %0, mcycle\n"
                 "fadd.d ft2, ft0, ft1\n fadd.d ft3, ft0, ft1\n fadd.d ft4, ft0, ft1\n fadd.d ft5, ft0, ft1\n"
                 "fmul.d ft6, ft0, ft1\n fmul.d ft7, ft0, ft1\n fmul.d fa0, ft0, ft1\n fmul.d fa1, ft0, ft1\n"
                 "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles)
                 : "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fa0", "fa1", "memory");
    deltas[1] = t1 - t0;

    /* 2: dependent fp32 chain, 8 x fadd.s: +1 per dependent op */
    asm volatile("flw ft0, 0(%2)\n flw ft1, 4(%2)\n csrr %0, mcycle\n" REP8("fadd.s ft0, ft0, ft1\n") "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_floats) : "ft0", "ft1", "memory");
    deltas[2] = t1 - t0;

    /* 3: a loop of 10 divs: +32 each */
    asm volatile("li t0, 10\n li t2, 1000\n li t3, 7\n csrr %0, mcycle\n"
                 "1: div t1, t2, t3\n addi t0, t0, -1\n bnez t0, 1b\n csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : : "t0", "t1", "t2", "t3");
    deltas[3] = t1 - t0;

    /* 4: 10 x mul: +1 each */
    asm volatile("li t2, 3\n csrr %0, mcycle\n" REP10("mul t1, t2, t2\n") "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : : "t1", "t2");
    deltas[4] = t1 - t0;

    /* 5: 8 loads from L2: +9 each */
    asm volatile("csrr %0, mcycle\n" REP8("lw t1, 4(%2)\n") "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_words) : "t1", "memory");
    deltas[5] = t1 - t0;

    /* 6: 8 loads from L1: no stall */
    asm volatile("csrr %0, mcycle\n" REP8("lw t1, 4(%2)\n") "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l1_words) : "t1", "memory");
    deltas[6] = t1 - t0;

    /* 7: 4 stores to L2: +9 each */
    asm volatile("csrr %0, mcycle\n" "sw zero, 0(%2)\n sw zero, 4(%2)\n sb zero, 8(%2)\n sh zero, 12(%2)\n" "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_words) : "memory");
    deltas[7] = t1 - t0;

    /* 8: an integer reader right after feq.d (fp64 latency 3): +2 */
    asm volatile("fld ft0, 0(%2)\n fld ft1, 8(%2)\n csrr %0, mcycle\n feq.d t1, ft0, ft1\n addi t2, t1, 1\n csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles) : "t1", "t2", "ft0", "ft1", "memory");
    deltas[8] = t1 - t0;

    /* 9: the reader three instructions after feq.d: no stall */
    asm volatile("fld ft0, 0(%2)\n fld ft1, 8(%2)\n csrr %0, mcycle\n feq.d t1, ft0, ft1\n addi t2, t3, 1\n addi t2, t3, 1\n"
                 "addi t2, t1, 1\n csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles) : "t1", "t2", "t3", "ft0", "ft1", "memory");
    deltas[9] = t1 - t0;

    /* 10: fsd of an fmul.d result: +2; then 4 dependent fmadd.d: +2 for each of the last 3 */
    asm volatile("fld ft0, 0(%2)\n fld ft1, 8(%2)\n fld ft2, 16(%2)\n csrr %0, mcycle\n fmul.d ft3, ft0, ft1\n fsd ft3, 0(%3)\n"
                 "fmadd.d ft2, ft0, ft1, ft2\n fmadd.d ft2, ft0, ft1, ft2\n fmadd.d ft2, ft0, ft1, ft2\n fmadd.d ft2, ft0, ft1, ft2\n"
                 "csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles), "r"(l1_spill) : "ft0", "ft1", "ft2", "ft3", "memory");
    deltas[10] = t1 - t0;

    /* 11: an fld from L2 (+9) feeding an fadd.d at once: no further stall */
    asm volatile("fld ft1, 8(%2)\n csrr %0, mcycle\n fld ft0, 0(%2)\n fadd.d ft0, ft0, ft1\n csrr %1, mcycle\n"
                 : "=&r"(t0), "=&r"(t1) : "r"(l2_doubles) : "ft0", "ft1", "memory");
    deltas[11] = t1 - t0;
    return 0;
}
