"""Fast engine glue for the DMA and ITA: Xdma instructions and the two MMIO windows.

Xdma (custom-1 0x2B, funct3 000) is not an instruction QEMU knows: it raises an illegal-
instruction exception, FastHart._execute_trapped sends it here, and it is executed by the
cluster's DmaEngine (iss/dma.py) at the hart's exact local time; like a served CSR it retires
without stopping the emulation (Unicorn resumes at pc + 4). On a compute core it stays an
illegal instruction. The ITA register file and the DMA register front-end are MMIO windows
whose callbacks find the accessing instruction's pc (FastHart._access_pc).
"""

from unicorn.riscv_const import UC_RISCV_REG_X0

from .. import privileged as pv
from ..isa import IllegalInstruction, decode
from .native import BLOCK_LEN, INSTRET

XDMA_MASK, XDMA_MATCH = 0x707F, 0x002B  # opcode custom-1, funct3 000


def is_xdma(word: int) -> bool:
    return word & XDMA_MASK == XDMA_MATCH


def execute(hart, pc: int, word: int) -> None:
    """Execute the Xdma word at `pc` (from the illegal-instruction hook)."""
    from .hart import _Fault

    try:
        d = decode(word)
    except IllegalInstruction:
        d = None
    if d is None or d.enc.ext != "Xdma":
        raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, "illegal instruction")
    cl = hart.cluster
    if hart.hart_id != cl.config.cores:
        detail = f"illegal instruction ({d.name}: Xdma exists on the DMA core only)"
        raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, detail)
    uc = hart.uc
    instret = hart.retired_before(pc)
    a = uc.reg_read(UC_RISCV_REG_X0 + d.rs1) if d.rs1 else 0
    b = uc.reg_read(UC_RISCV_REG_X0 + d.rs2) if d.rs2 else 0
    value = cl.dma.xdma(hart, d.name, pc, instret + hart.stall_cycles, a, b, d.imm)
    if value is not None and d.rd:
        uc.reg_write(UC_RISCV_REG_X0 + d.rd, value & 0xFFFF_FFFF)
    hart.counters[INSTRET] = instret + 1
    hart.counters[BLOCK_LEN] = 0


def mmio(hart, device, base: int):
    """(read, read user data, write, write user data) callbacks of `device`'s window at `base`."""

    def read(uc, offset, size, _ud):
        return device.read(hart, offset, size, hart._access_pc(base + offset, False))

    def write(uc, offset, size, value, _ud):
        device.write(hart, offset, size, value, hart._access_pc(base + offset, True))

    return read, None, write, None
