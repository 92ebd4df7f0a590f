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
# ITA HWPE register file (PLATFORM.md section 4, reference/ita.md section 7), 32-bit registers.
ITA_TRIGGER = 0x00  # write: queue the programmed job
ITA_ACQUIRE = 0x04  # read: id of the next job, or -1 while no job context is free
ITA_FINISHED = 0x08  # read: jobs finished so far
ITA_STATUS = 0x0C  # read: bit 0 busy, bits 11:8 step of the next job (step_e)
ITA_RUNNING_JOB = 0x10  # read: id of the job running now, or -1
ITA_SOFT_CLEAR = 0x14  # write: reset the job sequence, counters and internal state (idle only)
ITA_JOB_REGS = 0x20  # job register i at ITA_JOB_REGS + 4 * i, in ITA_JOB_REG_NAMES order
ITA_JOB_REG_NAMES = (
    "INPUT_PTR", "WEIGHT_PTR0", "WEIGHT_PTR1", "BIAS_PTR", "OUTPUT_PTR", "SEQ_LENGTH", "TILES",
    "EPS_MULT0", "EPS_MULT1", "RIGHT_SHIFT0", "RIGHT_SHIFT1", "ADD0", "ADD1",
    "CTRL_ENGINE", "CTRL_STREAM", "GELU_B_C", "ACTIVATION_REQUANT",
)  # fmt: skip
DMA_BASE = 0x1002_3000
DMA_SIZE = 0x1000
# DMA register front-end (project choice, docs/platform-notes.md), 32-bit registers. SRC..REPS
# are per hart; START, COMPLETED_ID, BUSY and NEXT_ID are the one engine's (shared with Xdma).
DMA_REG_SRC = 0x00
DMA_REG_DST = 0x04
DMA_REG_SIZE = 0x08  # bytes per row (the whole transfer when REPS <= 1)
DMA_REG_SRC_STRIDE = 0x0C
DMA_REG_DST_STRIDE = 0x10
DMA_REG_REPS = 0x14  # rows; 0 and 1 mean a 1-D transfer
DMA_REG_START = 0x18  # read: start the transfer, returns its txid
DMA_REG_COMPLETED_ID = 0x1C  # read: id of the last completed transfer (done when >= txid)
DMA_REG_BUSY = 0x20  # read: 1 while a transfer is in flight
DMA_REG_NEXT_ID = 0x24  # read: txid the next transfer will get
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
