/* C side of start-up: TLS, .bss, barriers around main(), exit code all-reduce. */
#include <stdio.h>
#include <string.h>
#include "snrt.h"

extern char __bss_start[], __bss_end[];
extern char __l1bss_start[], __l1bss_end[];
extern char __tdata_source[], __tdata_size[], __tbss_size[];
extern int main(void);

static volatile uint32_t exit_code_all;

void snrt_exit(int code) {
    *(volatile uint32_t *)SIM_EXIT = ((uint32_t)code << 1) | 1u;
    for (;;) asm volatile("wfi");
}

/* picolibc's exit() ends here. */
void _exit(int code) { snrt_exit(code); }

static int sim_putc(char c, FILE *file) {
    (void)file;
    snrt_putchar(c);
    return (unsigned char)c;
}

/* Unbuffered, so harts printing at once share no buffer. */
static FILE sim_stdio = FDEV_SETUP_STREAM(sim_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &sim_stdio;
FILE *const stdout = &sim_stdio;
FILE *const stderr = &sim_stdio;

/* A linker-script constant (an absolute symbol), laundered so that GCC cannot assume
 * that the "address" is non-zero. */
static inline size_t link_value(const char *symbol) {
    size_t value;
    asm("" : "=r"(value) : "0"(symbol));
    return value;
}

static void init_tls(void) {
    char *tls;
    asm volatile("mv %0, tp" : "=r"(tls));
    size_t tdata = link_value(__tdata_size), tbss = link_value(__tbss_size);
    for (size_t i = 0; i < tdata; i++) tls[i] = __tdata_source[i];
    for (size_t i = 0; i < tbss; i++) tls[tdata + i] = 0;
}

void __snrt_start(uint32_t hartid) {
    init_tls();
    if (hartid == 0) {
        for (char *p = __bss_start; p < __bss_end; p++) *p = 0;
        for (char *p = __l1bss_start; p < __l1bss_end; p++) *p = 0;
    }
    snrt_cluster_hw_barrier();
    int code = main();
    __atomic_fetch_or(&exit_code_all, (uint32_t)code, __ATOMIC_RELAXED);
    snrt_cluster_hw_barrier();
    if (hartid == 0) snrt_exit((int)exit_code_all);
}
