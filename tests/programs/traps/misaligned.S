/* Misaligned data accesses raise address-misaligned exceptions (PLATFORM.md section 1):
 * mcause 4 (load) or 6 (store/AMO), mepc = the instruction, mtval = the address. The access
 * has no effect: rd keeps its value, memory keeps its contents. Naturally aligned accesses
 * (any address for bytes) do not trap. A jump to an address that is not a multiple of 4
 * raises instruction-address-misaligned (mcause 0) on the jump, mtval = the target. */
#include "penv.h"

RVTEST_CODE_BEGIN
        la s0, results
        li t0, MSTATUS_FS
        csrs mstatus, t0
        la s1, l2buf
        la s2, l1buf
        li a0, 0x1111
        li a1, -1
        fcvt.d.w fa0, a1
        /* L2 */
        .globl mis_lw
mis_lw:
        lw a0, 1(s1)
        .globl mis_lh
mis_lh:
        lh a0, 3(s1)
        .globl mis_lhu
mis_lhu:
        lhu a0, 5(s1)
        .globl mis_lw_2
mis_lw_2:
        lw a0, 6(s1)
        sw a0, 0(s0)                    /* results[0]: a0 unchanged (0x1111) */
        .globl mis_sw
mis_sw:
        sw a1, 2(s1)
        .globl mis_sh
mis_sh:
        sh a1, 9(s1)
        .globl mis_flw
mis_flw:
        flw fa1, 2(s1)
        .globl mis_fld
mis_fld:
        fld fa1, 4(s1)                  /* 8-byte access at 4 mod 8 */
        .globl mis_fsw
mis_fsw:
        fsw fa0, 1(s1)
        .globl mis_fsd
mis_fsd:
        fsd fa0, 12(s1)
        /* L1 */
        .globl mis_l1_lw
mis_l1_lw:
        lw a0, 2(s2)
        .globl mis_l1_sw
mis_l1_sw:
        sw a1, 3(s2)
        .globl mis_l1_sh
mis_l1_sh:
        sh a1, 7(s2)
        /* A, on a misaligned word */
        addi s3, s1, 2
        .globl mis_amoadd
mis_amoadd:
        amoadd.w a2, a1, (s3)
        .globl mis_amoswap
mis_amoswap:
        amoswap.w a2, a1, (s3)
        .globl mis_lr
mis_lr:
        lr.w a2, (s3)
        /* Aligned accesses: no trap, and they see the buffers unchanged. */
        lb a3, 1(s1)
        lh a3, 2(s1)
        lw a3, 4(s1)
        sw a3, 4(s0)                    /* results[1]: l2buf word 1 (0x07060504) */
        lw a3, 8(s1)
        sw a3, 8(s0)                    /* results[2]: l2buf word 2 (0x0b0a0908) */
        lw a3, 12(s1)
        sw a3, 12(s0)                   /* results[3]: l2buf word 3 (0x0f0e0d0c) */
        lw a3, 0(s1)
        sw a3, 16(s0)                   /* results[4]: l2buf word 0 (0x03020100) */
        lw a3, 0(s2)
        sw a3, 20(s0)                   /* results[5]: l1buf word 0 (0x13121110) */
        lw a3, 4(s2)
        sw a3, 24(s0)                   /* results[6]: l1buf word 1 (0x17161514) */
        fld fa2, 8(s1)
        fsd fa2, 8(s2)
        lw a3, 8(s2)
        sw a3, 28(s0)                   /* results[7]: 0x0b0a0908 copied to L1 by fld/fsd */
        /* Jumps to pc = 2 mod 4 */
        la t0, landing
        addi t0, t0, 2
        .globl mis_jalr
mis_jalr:
        jalr zero, 0(t0)                /* cause 0, mtval = landing + 2 */
        .globl mis_jal
mis_jal:
        .word 0x0060006f                /* jal zero, .+6: cause 0, mtval = mis_jal + 6 */
        nop
        .globl mis_branch
mis_branch:
        .word 0x00000363                /* beq zero, zero, .+6: cause 0 */
        nop
        j 1f
landing:
        nop
        nop
1:
        la t1, trap_count
        lw t1, 0(t1)
        sw t1, 32(s0)                   /* results[8]: number of traps (19) */
        RVTEST_PASS
RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .globl results
results: .zero 64
        .align 4
        .globl l2buf
l2buf:  .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .pushsection .l1, "aw", @progbits
        .align 4
        .globl l1buf
l1buf:  .byte 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17
        .zero 8
        .popsection
RVTEST_DATA_END
