/* Programs that end in an error: no trap handler (mtvec = 0), or a blocked cluster.
 * Built once per case with -DCASE=<name number>; harts other than 0 sleep in wfi (except in
 * the deadlock case). A few instructions run first so that the error has a history. */
#define ILLEGAL 1
#define LOAD_UNMAPPED 2
#define STORE_UNMAPPED 3
#define LOAD_MISALIGNED 4
#define STORE_MISALIGNED 5
#define DEADLOCK 6
#define LOOP 7
#define ECALL 8
#define EBREAK 9
#define FETCH_UNMAPPED 10
#define JUMP_MISALIGNED 11
#define TRAP_LOOP 12

        .section .text.init, "ax"
        .globl _start
_start:
        csrr a0, mhartid
#if CASE == DEADLOCK
        bnez a0, sleeper
        li t0, 1
        .globl barrier
barrier:
        csrr zero, 0x7c2                /* hart 0 waits at the barrier for hart 1 ... */
        j pass
sleeper:
        .globl sleep
sleep:
        wfi                             /* ... which sleeps with nothing to wake it */
        j sleeper
#else
        bnez a0, other_hart
        li s0, 0x20000000
        la s1, data
        addi t0, zero, 1
        addi t0, t0, 1
        .globl fault
fault:
#if CASE == ILLEGAL
        .word 0xffffffff
#elif CASE == LOAD_UNMAPPED
        lw a1, 0x24(s0)
#elif CASE == STORE_UNMAPPED
        sw t0, 0x28(s0)
#elif CASE == LOAD_MISALIGNED
        lw a1, 2(s1)
#elif CASE == STORE_MISALIGNED
        sh t0, 5(s1)
#elif CASE == LOOP
        j fault
#elif CASE == ECALL
        ecall
#elif CASE == EBREAK
        ebreak
#elif CASE == FETCH_UNMAPPED
        jalr ra, 0x40(s0)
#elif CASE == JUMP_MISALIGNED
        jalr zero, 2(s1)
#elif CASE == TRAP_LOOP
        csrw mtvec, s1                  /* the "handler" is data: an illegal instruction */
        ecall
#endif
        j pass
other_hart:
        wfi
        j other_hart
#endif
pass:
        li t0, 1
        la t1, tohost
        sw t0, 0(t1)
1:      j 1b

        .data
        .align 4
        .globl data
data:   .word 0, 0, 0, 0

        .section .tohost, "aw", @progbits
        .align 6
        .globl tohost
tohost: .dword 0
        .globl fromhost
fromhost: .dword 0
