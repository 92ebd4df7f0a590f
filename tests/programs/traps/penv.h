/* A riscv-tests style "p" environment (physical memory, one hart) for the trap tests.
 *
 * RVTEST_CODE_BEGIN does what riscv-tests' env/p/riscv_test.h does at reset: harts other
 * than 0 sleep, satp/medeleg/mideleg are written behind a skip-on-trap mtvec (they do not
 * exist on Snitch), PMP is opened (pmpaddr0 = all, NAPOT RWX), mtvec = trap_vector, and the
 * test body starts in M-mode through mret.
 *
 * trap_vector records each trap as {mcause, mepc, mtval, mstatus} in trap_log[trap_count]
 * and then jumps to the test's `mtvec_handler` if it defines one (weak symbol), else returns
 * to mepc + 4. It uses t5 and t6 only (t4 is saved in mscratch), as in riscv-tests.
 *
 * The body ends with RVTEST_PASS (exit code 0 through tohost) or RVTEST_FAIL (code TESTNUM).
 * The Python tests read trap_log, trap_count and the `results` words of each program. */

#define TESTNUM gp
#define TRAP_LOG_MAX 32

#define MSTATUS_MIE  0x00000008
#define MSTATUS_MPIE 0x00000080
#define MSTATUS_MPP  0x00001800
#define MSTATUS_FS   0x00006000
#define MSTATUS_TW   0x00200000

#define RVTEST_CODE_BEGIN                                               \
        .section .text.init, "ax";                                      \
        .align 6;                                                       \
        .globl _start;                                                  \
_start:                                                                 \
        j reset_vector;                                                 \
        .align 2;                                                       \
        .globl trap_vector;                                             \
trap_vector:                                                            \
        csrw mscratch, t4;                                              \
        la t6, trap_count;                                              \
        lw t5, 0(t6);                                                   \
        addi t4, t5, 1;                                                 \
        sw t4, 0(t6);                                                   \
        li t4, TRAP_LOG_MAX;                                            \
        bgeu t5, t4, trap_overflow;                                     \
        slli t5, t5, 4;                                                 \
        la t6, trap_log;                                                \
        add t6, t6, t5;                                                 \
        csrr t5, mcause;                                                \
        sw t5, 0(t6);                                                   \
        csrr t5, mepc;                                                  \
        sw t5, 4(t6);                                                   \
        csrr t5, mtval;                                                 \
        sw t5, 8(t6);                                                   \
        csrr t5, mstatus;                                               \
        sw t5, 12(t6);                                                  \
        csrr t4, mscratch;                                              \
        .weak mtvec_handler;                                            \
        la t5, mtvec_handler;                                           \
        beqz t5, 1f;                                                    \
        jr t5;                                                          \
1:      csrr t5, mepc;                                                  \
        addi t5, t5, 4;                                                 \
        csrw mepc, t5;                                                  \
        mret;                                                           \
trap_overflow:                                                          \
        li TESTNUM, 99;                                                 \
        j fail;                                                         \
reset_vector:                                                           \
        li x1, 0; li x2, 0; li x3, 0; li x4, 0; li x5, 0;               \
        li x6, 0; li x7, 0; li x8, 0; li x9, 0; li x10, 0;              \
        li x11, 0; li x12, 0; li x13, 0; li x14, 0; li x15, 0;          \
        li x16, 0; li x17, 0; li x18, 0; li x19, 0; li x20, 0;          \
        li x21, 0; li x22, 0; li x23, 0; li x24, 0; li x25, 0;          \
        li x26, 0; li x27, 0; li x28, 0; li x29, 0; li x30, 0;          \
        li x31, 0;                                                      \
        csrr a0, mhartid;                                               \
        bnez a0, other_hart;                                            \
        /* no virtual memory, no delegation: absent on Snitch, so */    \
        /* these writes trap and are skipped, as in riscv-tests */      \
        la t0, 1f;                                                      \
        csrw mtvec, t0;                                                 \
        csrwi satp, 0;                                                  \
        .align 2;                                                       \
1:      la t0, 1f;                                                      \
        csrw mtvec, t0;                                                 \
        csrwi mie, 0;                                                   \
        csrwi medeleg, 0;                                               \
        csrwi mideleg, 0;                                               \
        .align 2;                                                       \
1:      la t0, 1f;                                                      \
        csrw mtvec, t0;                                                 \
        li t0, -1;                                                      \
        csrw pmpaddr0, t0;                                              \
        li t0, 0x1f; /* NAPOT, R, W, X */                               \
        csrw pmpcfg0, t0;                                               \
        .align 2;                                                       \
1:      li TESTNUM, 0;                                                  \
        la t0, trap_vector;                                             \
        csrw mtvec, t0;                                                 \
        csrwi mstatus, 0;                                               \
        li t0, MSTATUS_MPP;                                             \
        csrs mstatus, t0;                                               \
        la t0, test_body;                                               \
        csrw mepc, t0;                                                  \
        mret;                                                           \
other_hart:                                                             \
        wfi;                                                            \
        j other_hart;                                                   \
        .text;                                                          \
        .globl test_body;                                               \
test_body:

#define RVTEST_CODE_END                                                 \
pass:                                                                   \
        fence;                                                          \
        li t0, 1;                                                       \
        la t1, tohost;                                                  \
        sw t0, 0(t1);                                                   \
1:      j 1b;                                                           \
fail:                                                                   \
        fence;                                                          \
        slli t0, TESTNUM, 1;                                            \
        ori t0, t0, 1;                                                  \
        la t1, tohost;                                                  \
        sw t0, 0(t1);                                                   \
1:      j 1b;

#define RVTEST_PASS j pass
#define RVTEST_FAIL j fail

#define RVTEST_DATA_BEGIN                                               \
        .pushsection .tohost, "aw", @progbits;                          \
        .align 6; .globl tohost; tohost: .dword 0;                      \
        .align 6; .globl fromhost; fromhost: .dword 0;                  \
        .popsection;                                                    \
        .data;                                                          \
        .align 4;                                                       \
        .globl trap_count; trap_count: .word 0;                         \
        .align 4;                                                       \
        .globl trap_log; trap_log: .zero 16 * TRAP_LOG_MAX;             \
        .align 4;

#define RVTEST_DATA_END
