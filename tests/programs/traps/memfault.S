/* Loads and stores to unmapped addresses, with a handler: mcause 5 (load access fault) or
 * 7 (store/AMO access fault), mepc = the instruction (also in the middle of a translated
 * block), mtval = the address; a faulting load leaves rd unchanged and execution resumes
 * at mepc + 4. An instruction fetch from an unmapped address gives mcause 1 with
 * mepc = mtval = that address (the handler returns to ra); so does one from the peripherals. */
#include "penv.h"

#define UNMAPPED 0x20000000

RVTEST_CODE_BEGIN
        la s0, results
        li t0, MSTATUS_FS
        csrs mstatus, t0
        li s1, UNMAPPED
        li a0, 0x5555
        .globl load_fault
load_fault:
        lw a0, 0(s1)                    /* cause 5, mtval = 0x20000000 */
        sw a0, 0(s0)                    /* results[0]: 0x5555 */
        addi a1, a0, 1
        addi a1, a1, 1
        addi a1, a1, 1
        .globl store_fault
store_fault:
        sw a1, 8(s1)                    /* cause 7, mtval = 0x20000008 (mid-block) */
        addi a1, a1, 1
        .globl load_byte_fault
load_byte_fault:
        lbu a1, -1(s1)                  /* cause 5, mtval = 0x1fffffff */
        li s2, 0x10020000               /* after L1 (128 KiB): Snitch's bootrom, not mapped */
        .globl load_l1_end
load_l1_end:
        lw a2, 0(s2)
        .globl store_half_fault
store_half_fault:
        sh a2, 6(s2)                    /* cause 7, mtval = 0x10020006 */
        li s3, 0x00001000
        .globl fld_fault
fld_fault:
        fld fa0, 16(s3)                 /* cause 5, mtval = 0x1010 */
        .globl fsd_fault
fsd_fault:
        fsd fa0, 24(s3)                 /* cause 7, mtval = 0x1018 */
        .globl amo_fault
amo_fault:
        amoadd.w a3, a2, (s1)           /* cause 7 (store/AMO), mtval = 0x20000000 */
        .globl lr_fault
lr_fault:
        lr.w a3, (s1)                   /* cause 5, mtval = 0x20000000 */
        /* Fetch from an unmapped address. */
        li t0, UNMAPPED + 0x100
        .globl jump_to_unmapped
jump_to_unmapped:
        jalr ra, 0(t0)                  /* cause 1, mepc = mtval = 0x20000100 */
        /* Fetch from device memory: the cluster peripherals. */
        li t0, 0x10021000
        .globl jump_to_periph
jump_to_periph:
        jalr ra, 0(t0)                  /* cause 1, mepc = mtval = 0x10021000 */
        sw a1, 4(s0)                    /* results[1]: a1 unchanged by the lbu (0x5559) */
        la t1, trap_count
        lw t1, 0(t1)
        sw t1, 8(s0)                    /* results[2]: number of traps (11) */
        RVTEST_PASS

        .globl mtvec_handler
mtvec_handler:
        csrr t5, mcause
        li t6, 1
        bne t5, t6, 1f
        csrw mepc, ra                   /* fetch fault: back to the caller */
        mret
1:      csrr t5, mepc
        addi t5, t5, 4
        csrw mepc, t5
        mret
RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .globl results
results: .zero 64
RVTEST_DATA_END
