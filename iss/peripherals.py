"""The cluster peripheral page (Snitch layout) and the simulation registers.

Register offsets are in memmap.py. Performance counters are not modelled yet: touching
them is an error rather than a silently wrong number.
"""

from . import memmap as mm
from .errors import ProgramError


class ClusterPeripherals:
    def __init__(self, cluster):
        self.cluster = cluster
        self.scratch = [0, 0, 0, 0]
        self.icache_prefetch = 0

    def read(self, hart, offset: int, size: int, pc: int) -> int:
        reg, high = offset & ~7, bool(offset & 4)
        cfg = self.cluster.config
        if reg < mm.SCRATCH:
            self._not_modelled(hart, offset, pc)
        if mm.SCRATCH <= reg < mm.SCRATCH + 32:
            value = self.scratch[(reg - mm.SCRATCH) // 8]
        elif reg in (mm.CL_CLINT_SET, mm.CL_CLINT_CLEAR):
            value = 0  # write-only strobes
        elif reg == mm.ICACHE_PREFETCH:
            value = self.icache_prefetch
        elif offset == mm.SIM_NUM_CORES:
            return cfg.cores
        elif offset == mm.SIM_L1_SIZE:
            return cfg.l1_bytes
        elif offset == mm.SIM_STACK_SIZE:
            return cfg.stack_bytes
        elif reg in (mm.SIM_PUTCHAR, mm.SIM_EXIT):
            value = 0
        else:
            raise ProgramError(hart.describe(pc, f"read of unmapped peripheral register 0x{mm.PERIPH_BASE + offset:08x}"))
        return 0 if high else value

    def write(self, hart, offset: int, size: int, value: int, pc: int) -> None:
        reg = offset & ~7
        if offset & 4:
            return  # upper halves of the 64-bit registers hold no bits we model
        if reg < mm.SCRATCH:
            self._not_modelled(hart, offset, pc)
        if mm.SCRATCH <= reg < mm.SCRATCH + 32:
            self.scratch[(reg - mm.SCRATCH) // 8] = value
        elif reg == mm.CL_CLINT_SET:
            self.cluster.set_cluster_irq(hart, value)
        elif reg == mm.CL_CLINT_CLEAR:
            self.cluster.clear_cluster_irq(value)
        elif reg == mm.ICACHE_PREFETCH:
            self.icache_prefetch = value
        elif offset == mm.SIM_PUTCHAR:
            self.cluster.output.put(hart.hart_id, value & 0xFF)
        elif offset == mm.SIM_EXIT:
            if value & 1:
                self.cluster.exit(hart, value >> 1, pc)
        else:
            raise ProgramError(hart.describe(pc, f"write to unmapped peripheral register 0x{mm.PERIPH_BASE + offset:08x}"))

    def _not_modelled(self, hart, offset: int, pc: int) -> None:
        raise ProgramError(
            hart.describe(pc, f"performance counter register 0x{mm.PERIPH_BASE + offset:08x} is not modelled; use mcycle/minstret")
        )
