/* Straight-line code on hart 0 that prints through SIM_PUTCHAR from the middle of a block
 * and ends with a store to SIM_EXIT (default) or, with -DVIA_TOHOST, to `tohost`, exit code 5.
 * Every instruction from _start to exit_store retires exactly once, so hart 0's instruction
 * count must be (exit_store - _start) / 4 + 1: the peripheral callbacks must see the exact pc
 * of the store, with or without the alignment check. */
#define SIM_PUTCHAR 0x10021F00

        .section .text.init, "ax"
        .globl _start
_start:
        csrr a0, mhartid
        bnez a0, park
        li t1, SIM_PUTCHAR
        li t2, 'o'
        sw t2, 0(t1)
        li t2, 'k'
        sw t2, 0(t1)
        addi t3, zero, 1
        addi t3, t3, 1
        li t2, '\n'
        sw t2, 0(t1)
        addi t3, t3, 1
        addi t3, t3, 1
        li t2, (5 << 1) | 1
#ifdef VIA_TOHOST
        la t4, tohost
        .globl exit_store
exit_store:
        sw t2, 0(t4)
#else
        .globl exit_store
exit_store:
        sw t2, 8(t1)                    /* SIM_EXIT = SIM_PUTCHAR + 8 */
#endif
park:
        wfi
        j park

        .section .tohost, "aw", @progbits
        .align 6
        .globl tohost
tohost: .dword 0
        .globl fromhost
fromhost: .dword 0
