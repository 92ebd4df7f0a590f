/* Start-up for qemu-system-riscv32 -machine virt -bios none: QEMU's reset vector jumps to the
 * start of RAM (0x80000000), where link.ld puts this code. One hart; no trap handling. */
    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    li      t0, (1 << 13)           /* mstatus.FS = initial */
    csrs    mstatus, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    main_virt
3:  wfi
    j       3b
