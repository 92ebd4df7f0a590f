/* Illegal instructions taken to mtvec: mcause = 2, mepc = the instruction, mtval = its word,
 * and mret back to mepc + 4 (each trapping instruction is skipped exactly once: s1 counts the
 * instructions after them). Unimplemented CSRs, including the supervisor ones QEMU has but
 * Snitch has not, supervisor instructions, 16-bit (compressed) encodings and writes to
 * read-only CSRs are illegal too; rd keeps its value. */
#include "penv.h"

RVTEST_CODE_BEGIN
        li s1, 0
        .globl ill_zero
ill_zero:
        .word 0x00000000                /* defined illegal */
        addi s1, s1, 1
        .globl ill_ones
ill_ones:
        .word 0xffffffff                /* defined illegal */
        addi s1, s1, 1
        .globl ill_custom3
ill_custom3:
        .word 0x0000007b                /* custom-3 opcode: not a Snitch instruction */
        addi s1, s1, 1
        li a0, 0x1234
        .globl ill_csr_7ff
ill_csr_7ff:
        csrr a0, 0x7ff                  /* unimplemented custom M-mode CSR */
        addi s1, s1, 1
        la t0, results
        sw a0, 0(t0)                    /* results[0]: a0 unchanged (0x1234) */
        li a1, 0x5678
        .globl ill_satp
ill_satp:
        csrr a1, satp                   /* no S-mode on Snitch */
        addi s1, s1, 1
        sw a1, 4(t0)                    /* results[1]: a1 unchanged (0x5678) */
        .globl ill_sstatus
ill_sstatus:
        csrr a1, sstatus
        addi s1, s1, 1
        .globl ill_medeleg
ill_medeleg:
        csrw medeleg, zero
        addi s1, s1, 1
        .globl ill_sret
ill_sret:
        sret
        addi s1, s1, 1
        .globl ill_sfence_vma
ill_sfence_vma:
        sfence.vma
        addi s1, s1, 1
        .globl ill_16bit
ill_16bit:
        .word 0x00010001                /* two c.nop halves: no C extension on Snitch */
        addi s1, s1, 1
        .globl ill_mhartid_write
ill_mhartid_write:
        csrw mhartid, zero              /* read-only CSR */
        addi s1, s1, 1
        .globl ill_mvendorid_write
ill_mvendorid_write:
        csrw mvendorid, a0              /* read-only CSR, served by QEMU */
        addi s1, s1, 1
        .globl ill_cycle_write
ill_cycle_write:
        csrw cycle, a0                  /* read-only user counter */
        addi s1, s1, 1
        .globl ill_fcsr_fs_off
ill_fcsr_fs_off:
        csrr a2, fcsr                   /* mstatus.FS = 0: the FPU is off */
        addi s1, s1, 1
        .globl ill_fadd_fs_off
ill_fadd_fs_off:
        fadd.d fa0, fa1, fa2
        addi s1, s1, 1
        /* Legal ones that must not trap. */
        csrr a3, mhartid
        csrr a3, misa
        csrr a3, mscratch
        csrr a3, mcycle
        csrr a3, pmpcfg0
        sw s1, 8(t0)                    /* results[2]: 15 */
        la t1, trap_count
        lw t1, 0(t1)
        sw t1, 12(t0)                   /* results[3]: 15 */
        RVTEST_PASS
RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .globl results
results: .zero 64
RVTEST_DATA_END
