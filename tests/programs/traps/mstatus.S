/* mstatus across trap entry and mret (privileged spec 3.1.6.1, 3.3.2):
 *   trap:  MPIE <- MIE, MIE <- 0, MPP <- privilege before the trap
 *   mret:  MIE <- MPIE, MPIE <- 1, privilege <- MPP, MPP <- U (least privileged mode)
 * and mret jumps to mepc exactly (the handler here does not advance mepc: the trapping
 * instructions are ecalls whose handler sets mepc to a label). mie = 0, so MIE = 1 is safe.
 * results[i] are mstatus values read at the points named below. */
#include "penv.h"

#define MASK (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)

RVTEST_CODE_BEGIN
        la s0, results
        csrwi mie, 0
        /* Case 1: MIE = 1, MPIE = 0 before an ecall from M. */
        li t0, MASK
        csrc mstatus, t0
        csrsi mstatus, MSTATUS_MIE
        csrr t0, mstatus
        sw t0, 0(s0)                    /* results[0]: MIE=1 MPIE=0 MPP=0 */
        la s1, after_1
        .globl ecall_1
ecall_1:
        ecall                           /* log[0]: MIE=0 MPIE=1 MPP=M */
        li TESTNUM, 2                   /* mret must go to mepc = after_1, not here */
        RVTEST_FAIL
        .globl after_1
after_1:
        csrr t0, mstatus
        sw t0, 4(s0)                    /* results[1]: MIE=1 MPIE=1 MPP=U */
        /* Case 2: MIE = 0, MPIE = 1. */
        csrci mstatus, MSTATUS_MIE
        csrr t0, mstatus
        sw t0, 8(s0)                    /* results[2]: MIE=0 MPIE=1 MPP=U */
        la s1, after_2
        .globl ecall_2
ecall_2:
        ecall                           /* log[1]: MIE=0 MPIE=0 MPP=M */
        li TESTNUM, 3
        RVTEST_FAIL
        .globl after_2
after_2:
        csrr t0, mstatus
        sw t0, 12(s0)                   /* results[3]: MIE=0 MPIE=1 MPP=U */
        /* Case 3: mret with no trap: MPP = M, MPIE = 0, MIE = 1 -> MIE=0 MPIE=1 MPP=U, to mepc. */
        li t0, MASK
        csrc mstatus, t0
        li t0, MSTATUS_MPP | MSTATUS_MIE
        csrs mstatus, t0
        la t0, after_3
        csrw mepc, t0
        .globl mret_3
mret_3:
        mret
        li TESTNUM, 4
        RVTEST_FAIL
        .globl after_3
after_3:
        csrr t0, mstatus
        sw t0, 16(s0)                   /* results[4]: MIE=0 MPIE=1 MPP=U */
        /* Case 4: a trap from U-mode with MIE = 0 in mstatus: MPP = U, MPIE = 0 (MIE was 0). */
        li t0, MASK
        csrc mstatus, t0                /* MPP = U, MPIE = 0 -> in U: MIE = 0 */
        la t0, user
        csrw mepc, t0
        mret
        .globl user
user:
        la s1, after_4
        .globl ecall_4
ecall_4:
        ecall                           /* log[2]: MIE=0 MPIE=0 MPP=U */
        li TESTNUM, 5
        RVTEST_FAIL
        .globl after_4
after_4:
        csrr t0, mstatus                /* M-mode: the handler's mret had MPP = M */
        sw t0, 20(s0)                   /* results[5]: MIE=0 MPIE=1 MPP=U */
        RVTEST_PASS

        .globl mtvec_handler
mtvec_handler:
        /* return to s1 in M-mode for case 4 (MPP = M), keep MPP otherwise */
        la t5, after_4
        bne s1, t5, 1f
        li t5, MSTATUS_MPP
        csrs mstatus, t5
1:      csrw mepc, s1
        mret
RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .globl results
results: .zero 64
RVTEST_DATA_END
