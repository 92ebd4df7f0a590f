/* Exceptions taken through a trap handler on hart 0: misaligned and unmapped accesses, illegal
 * instructions, ebreak, ecall from M- and U-mode, an M-mode CSR read from U-mode. The handler
 * logs (mcause, mtval, mepc, mstatus.MPP) and resumes after the trapping instruction; an ecall
 * from U-mode returns to M-mode. Labels t_* mark the trapping instructions for the test. */
#include <stdint.h>
#include "snrt.h"

#define MAX_TRAPS 16
volatile uint32_t trap_log[MAX_TRAPS][4];
volatile uint32_t ntraps;
SNRT_L1 uint32_t words[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
uint32_t after_user; /* privilege check after the U-mode trip: mhartid readable again */
extern char trap_entry[];

asm(".section .text\n"
    ".balign 4\n"
    ".globl trap_entry\n"
    "trap_entry:\n"
    "  addi sp, sp, -16\n  sw t0, 0(sp)\n  sw t1, 4(sp)\n  sw t2, 8(sp)\n"
    "  la t0, ntraps\n  lw t1, 0(t0)\n  addi t2, t1, 1\n  sw t2, 0(t0)\n"
    "  slli t1, t1, 4\n  la t0, trap_log\n  add t0, t0, t1\n"
    "  csrr t1, mcause\n  sw t1, 0(t0)\n  csrr t1, mtval\n  sw t1, 4(t0)\n  csrr t1, mepc\n  sw t1, 8(t0)\n"
    "  csrr t2, mstatus\n  srli t2, t2, 11\n  andi t2, t2, 3\n  sw t2, 12(t0)\n"
    "  csrr t1, mcause\n  li t2, 8\n  bne t1, t2, 1f\n  li t2, 0x1800\n  csrs mstatus, t2\n" /* U ecall: back to M */
    "1: csrr t1, mepc\n  addi t1, t1, 4\n  csrw mepc, t1\n"
    "  lw t2, 8(sp)\n  lw t1, 4(sp)\n  lw t0, 0(sp)\n  addi sp, sp, 16\n  mret\n");

int main(void) {
    if (snrt_cluster_core_idx() != 0) return 0;
    uint32_t v = 0, base = (uint32_t)words;
#ifdef CUSTOM /* scfgwi 0 to the SSR status register: starting a stream that way is not supported */
    asm volatile(".insn i 0x2b, 2, x0, %0, 0" ::"r"(v));
#endif
#ifndef NO_HANDLER /* without a handler the first exception ends the run with an error */
    asm volatile("csrw mtvec, %0" ::"r"(trap_entry));
#endif
    asm volatile(".globl t_lw\nt_lw: lw %0, 1(%1)" : "+r"(v) : "r"(base) : "memory");
    asm volatile(".globl t_sw\nt_sw: sw %0, 2(%1)" ::"r"(v), "r"(base) : "memory");
    asm volatile(".globl t_lh\nt_lh: lh %0, 3(%1)" : "+r"(v) : "r"(base) : "memory");
    asm volatile(".globl t_fsd\nt_fsd: fsd fa0, 4(%0)" ::"r"(base) : "memory");
    asm volatile(".globl t_amo\nt_amo: amoadd.w %0, %0, (%1)" : "+r"(v) : "r"(base + 2) : "memory");
    asm volatile(".globl t_ld5\nt_ld5: lw %0, 0(%1)" : "+r"(v) : "r"(0x20000000) : "memory");
    asm volatile(".globl t_st7\nt_st7: sw %0, 0(%1)" ::"r"(v), "r"(0x20000004) : "memory");
    asm volatile(".globl t_ill\nt_ill: .word 0xffffffff");
    asm volatile(".globl t_brk\nt_brk: ebreak");
    asm volatile(".globl t_ecm\nt_ecm: ecall");
    /* Into U-mode: an M-mode CSR read is illegal there, then ecall returns to M-mode. */
    asm volatile("la t0, 1f\n csrw mepc, t0\n li t0, 0x1800\n csrc mstatus, t0\n mret\n"
                 "1:\n.globl t_ucsr\nt_ucsr: csrr t1, mscratch\n"
                 ".globl t_ecu\nt_ecu: ecall\n"
                 ::: "t0", "t1", "memory");
    asm volatile("csrr %0, mhartid" : "=r"(after_user));
    after_user += 100;
    return 0;
}
