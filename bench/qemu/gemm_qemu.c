/* Single-hart GEMM benchmark for qemu-system-riscv32 -machine virt -bios none: the kernel of
 * gemm_kernel.h, operands in RAM. Prints the checksum on the virt UART (ns16550a at
 * 0x10000000), then ends QEMU through the sifive_test device (0x100000, 0x5555 = pass). */
#include <stdint.h>
#include "../gemm_kernel.h"

#define UART_THR ((volatile uint8_t *)0x10000000u)
#define SIFIVE_TEST ((volatile uint32_t *)0x00100000u)

static int8_t A[M * K];
static int8_t B[K * N];
static int32_t C[M * N];

static void put(const char *s) {
    while (*s) *UART_THR = (uint8_t)*s++;
}

void main_virt(void) {
    gemm_init(A, B);
    gemm_kernel(A, B, C, 0, 1, gemm_reps);
    uint32_t sum = gemm_checksum(C);
    char hex[] = "checksum 0x00000000\n";
    for (int i = 0; i < 8; i++) hex[11 + i] = "0123456789abcdef"[(sum >> (28 - 4 * i)) & 15];
    put(hex);
    *SIFIVE_TEST = 0x5555;
    for (;;) asm volatile("wfi");
}
