"""Addresses of the simulated cluster: ../shared/PLATFORM.md section 3.

firmware/runtime/snitch_cluster.h holds the same numbers for C; a test checks both agree.
"""

L1_BASE = 0x1000_0000
L1_MAX_SIZE = 0x2_0000  # the bootrom follows at 0x1002_0000 in the Snitch map

PERIPH_BASE = 0x1002_1000
PERIPH_SIZE = 0x1000
# Offsets inside the peripheral page (Snitch layout, 64-bit registers on an 8-byte stride).
PERF_CNT_EN = 0x000
PERF_CNT_SEL = 0x080
PERF_CNT = 0x100
SCRATCH = 0x180
CL_CLINT_SET = 0x1A0
CL_CLINT_CLEAR = 0x1A8
ICACHE_PREFETCH = 0x1B0
# Simulation registers (project choice; docs/platform-notes.md).
SIM_PUTCHAR = 0xF00
SIM_EXIT = 0xF08
SIM_NUM_CORES = 0xF10
SIM_L1_SIZE = 0xF14
SIM_STACK_SIZE = 0xF18

ITA_BASE = 0x1002_2000
ITA_SIZE = 0x1000
DMA_BASE = 0x1002_3000
DMA_SIZE = 0x1000
ZERO_MEM_BASE = 0x1003_0000
ZERO_MEM_SIZE = 0x1_0000

L2_BASE = 0x8000_0000

PAGE = 0x1000

# Custom CSRs (Snitch numbering) and the standard ones the simulator serves itself.
CSR_SSR = 0x7C0
CSR_FPMODE = 0x7C1
CSR_BARRIER = 0x7C2
CSR_MHARTID = 0xF14
CSR_MCYCLE = 0xB00
CSR_MINSTRET = 0xB02
CSR_MCYCLEH = 0xB80
CSR_MINSTRETH = 0xB82
CSR_CYCLE = 0xC00
CSR_TIME = 0xC01
CSR_INSTRET = 0xC02
CSR_CYCLEH = 0xC80
CSR_TIMEH = 0xC81
CSR_INSTRETH = 0xC82
CSR_MIE = 0x304
CSR_MIP = 0x344
CSR_MSTATUS = 0x300
CSR_MISA = 0x301
CSR_TRIGGER = range(0x7A0, 0x7A5)  # tselect, tdata1..3, tinfo
CSR_TINFO = 0x7A4
CSR_PMPCFG = range(0x3A0, 0x3A4)
CSR_PMPADDR = range(0x3B0, 0x3C0)

MIP_MSIP = 1 << 3
MIP_MCIP = 1 << 19  # cluster-local interrupt (cl_clint)
