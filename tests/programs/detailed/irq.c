/* Cluster-local interrupt: hart 0 sleeps in wfi with mie.MCIP and mstatus.MIE set; hart 1 raises
 * the interrupt through cl_clint; hart 0's handler logs mcause/mepc, clears it and returns. */
#include <stdint.h>
#include "snrt.h"

volatile uint32_t irq_log[2];
volatile uint32_t irq_count;
extern char irq_entry[];

asm(".section .text\n"
    ".balign 4\n"
    ".globl irq_entry\n"
    "irq_entry:\n"
    "  addi sp, sp, -16\n  sw t0, 0(sp)\n  sw t1, 4(sp)\n"
    "  la t0, irq_log\n  csrr t1, mcause\n  sw t1, 0(t0)\n  csrr t1, mepc\n  sw t1, 4(t0)\n"
    "  la t0, irq_count\n  lw t1, 0(t0)\n  addi t1, t1, 1\n  sw t1, 0(t0)\n"
    "  li t0, 0x100211a8\n  li t1, 1\n  sw t1, 0(t0)\n" /* cl_clint clear, hart 0 */
    "  lw t1, 4(sp)\n  lw t0, 0(sp)\n  addi sp, sp, 16\n  mret\n");

int main(void) {
    uint32_t me = snrt_cluster_core_idx();
    if (me == 0) {
        asm volatile("csrw mtvec, %0\n csrs mie, %1\n csrsi mstatus, 8" ::"r"(irq_entry), "r"(1u << 19));
        while (irq_count == 0) asm volatile(".globl t_wfi\nt_wfi: wfi");
    } else if (me == 1) {
        for (volatile int i = 0; i < 100; i++) {
        }
        snrt_int_cluster_set(1u << 0);
    }
    return 0;
}
