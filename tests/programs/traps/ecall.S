/* ecall from M-mode (mcause 11) and from U-mode (mcause 8) after mret into U-mode with
 * MPP = 0; in U-mode, M-mode CSRs (QEMU's and the simulator's own), mret and, while
 * mcounteren is 0, the user counters are illegal; ebreak gives mcause 3 in both modes. */
#include "penv.h"

RVTEST_CODE_BEGIN
        la s0, results
        .globl ecall_m
ecall_m:
        ecall                           /* cause 11, MPP = M */
        .globl ebreak_m
ebreak_m:
        ebreak                          /* cause 3 */
        csrw mcounteren, zero
        /* Enter U-mode: MPP = 0, mepc = user_1. */
        li t0, MSTATUS_MPP
        csrc mstatus, t0
        la t0, user_1
        csrw mepc, t0
        .globl mret_to_user
mret_to_user:
        mret
        .globl user_1
user_1:
        li a0, 0x1111
        .globl u_mstatus
u_mstatus:
        csrr a0, mstatus                /* M-mode CSR (QEMU's): illegal */
        .globl u_mhartid
u_mhartid:
        csrr a0, mhartid                /* M-mode CSR (the simulator's): illegal */
        .globl u_mcycle
u_mcycle:
        csrr a0, mcycle
        .globl u_barrier
u_barrier:
        csrr a0, 0x7c2                  /* Snitch barrier: a custom M-mode CSR */
        .globl u_cycle
u_cycle:
        csrr a0, cycle                  /* mcounteren.CY = 0 */
        .globl u_instret
u_instret:
        csrr a0, instret                /* mcounteren.IR = 0 */
        .globl u_mret
u_mret:
        mret
        .globl u_ebreak
u_ebreak:
        ebreak                          /* cause 3, MPP = U */
        sw a0, 0(s0)                    /* results[0]: a0 unchanged (0x1111) */
        .globl ecall_u
ecall_u:
        ecall                           /* cause 8; mtvec_handler resumes at back_in_m */
        li TESTNUM, 2
        RVTEST_FAIL
back_in_m:
        csrr t0, mstatus                /* M-mode again: legal */
        sw t0, 4(s0)                    /* results[1]: mstatus after the trap from U */
        /* U-mode again with mcounteren.CY and IR set: the counters are readable. */
        li t0, 5
        csrw mcounteren, t0
        li t0, MSTATUS_MPP
        csrc mstatus, t0
        la t0, user_2
        csrw mepc, t0
        mret
user_2:
        csrr a1, cycle
        csrr a2, instret
        sw a2, 8(s0)                    /* results[2]: instret read in U-mode (non-zero) */
        .globl ecall_u2
ecall_u2:
        ecall
        li TESTNUM, 3
        RVTEST_FAIL
back_in_m_2:
        la t1, trap_count
        lw t1, 0(t1)
        sw t1, 12(s0)                   /* results[3]: number of traps */
        RVTEST_PASS

        .globl mtvec_handler
mtvec_handler:
        csrr t5, mcause
        li t6, 8                        /* ecall from U: continue in M-mode */
        bne t5, t6, 1f
        csrr t5, mepc
        la t6, ecall_u
        beq t5, t6, back_in_m
        j back_in_m_2
1:      csrr t5, mepc
        addi t5, t5, 4
        csrw mepc, t5
        mret
RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .globl results
results: .zero 64
RVTEST_DATA_END
