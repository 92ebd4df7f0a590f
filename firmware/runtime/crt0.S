/* Start-up for every hart of the cluster. All harts enter here at the same time;
 * each gets its own stack (and TLS block) at the top of L1, then C takes over. */
#include "snitch_cluster.h"

    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    /* FPU on (mstatus.FS = initial) and a clean fcsr. */
    li      t0, (1 << 13)
    csrs    mstatus, t0
    csrw    fcsr, zero
    csrr    a0, mhartid
    /* This hart's region: [L1 end - (hartid+1)*stack, L1 end - hartid*stack).
     * Sizes are read from the simulator so one ELF runs with any --l1-kib. */
    li      t0, SIM_L1_SIZE
    lw      t1, 0(t0)
    li      t2, SNRT_L1_BASE
    add     t1, t1, t2
    li      t0, SIM_STACK_SIZE
    lw      t3, 0(t0)
    mul     t4, a0, t3
    sub     t1, t1, t4
    /* The TLS block sits at the top of the region, the stack grows down below it. */
    lui     t5, %hi(__tls_reserve)
    addi    t5, t5, %lo(__tls_reserve)
    sub     tp, t1, t5
    andi    tp, tp, -16
    mv      sp, tp
    /* Offset stacks by 8 B per hart to spread them over TCDM banks (as snRuntime). */
    slli    t6, a0, 3
    sub     sp, sp, t6
    andi    sp, sp, -16
    call    __snrt_start
1:  wfi
    j       1b
