"""CSRs the simulator serves itself (on either engine): hart id, deterministic counters,
interrupt enable/pending with the cluster-local interrupt, and permissive PMP registers."""

from . import memmap as mm


class IllegalCsr(Exception):
    """The CSR does not exist (or is read-only and was written): illegal instruction."""


# Implemented interrupt bits: software, timer, external and the cluster-local one.
MIE_MASK = mm.MIP_MSIP | (1 << 7) | (1 << 11) | mm.MIP_MCIP

_READ_ONLY = {
    mm.CSR_MHARTID,
    mm.CSR_CYCLE,
    mm.CSR_TIME,
    mm.CSR_INSTRET,
    mm.CSR_CYCLEH,
    mm.CSR_TIMEH,
    mm.CSR_INSTRETH,
}

SERVED_CSRS = frozenset(
    {
        mm.CSR_MHARTID,
        mm.CSR_MCYCLE,
        mm.CSR_MCYCLEH,
        mm.CSR_MINSTRET,
        mm.CSR_MINSTRETH,
        mm.CSR_CYCLE,
        mm.CSR_CYCLEH,
        mm.CSR_TIME,
        mm.CSR_TIMEH,
        mm.CSR_INSTRET,
        mm.CSR_INSTRETH,
        mm.CSR_MIE,
        mm.CSR_MIP,
        mm.CSR_BARRIER,
        mm.CSR_SSR,
        *mm.CSR_PMPCFG,
        *mm.CSR_PMPADDR,
        *mm.CSR_TRIGGER,
    }
)

# Served by the fast engine itself from Unicorn's state, but filtered: QEMU's misa shows S and C
# and its mstatus accepts S-mode fields; Snitch has M and U mode only and no C.
MACHINE_FILTERED_CSRS = frozenset({mm.CSR_MSTATUS, mm.CSR_MISA})

# CSRs that QEMU implements but Snitch (M and U mode only, PLATFORM.md section 1) does not:
# the supervisor CSRs, medeleg/mideleg (which exist only with S-mode) and two numbers QEMU
# keeps from older spec versions. Accessing them is an illegal instruction.
ABSENT_CSRS = frozenset({*range(0x100, 0x200), 0x302, 0x303, 0x321, 0x322})

# Every CSR instruction on these numbers is executed by the simulator (see fast/patch.py).
TRAPPED_CSRS = SERVED_CSRS | ABSENT_CSRS | MACHINE_FILTERED_CSRS


class SimCsrs:
    """Per-hart state of the simulator-served CSRs."""

    def __init__(self, hart_id: int):
        self.hart_id = hart_id
        self.mie = 0
        self.mip = 0
        self.pmp = {}
        self.cycle_offset = 0
        self.instret_offset = 0

    def read(self, csr: int, instret: int, cycles: int) -> int:
        """Value of `csr` for an instruction that follows `instret` retired ones at `cycles`."""
        cyc = cycles + self.cycle_offset
        ins = instret + self.instret_offset
        if csr == mm.CSR_MHARTID:
            return self.hart_id
        if csr in (mm.CSR_MCYCLE, mm.CSR_CYCLE, mm.CSR_TIME):
            return cyc & 0xFFFF_FFFF
        if csr in (mm.CSR_MCYCLEH, mm.CSR_CYCLEH, mm.CSR_TIMEH):
            return (cyc >> 32) & 0xFFFF_FFFF
        if csr in (mm.CSR_MINSTRET, mm.CSR_INSTRET):
            return ins & 0xFFFF_FFFF
        if csr in (mm.CSR_MINSTRETH, mm.CSR_INSTRETH):
            return (ins >> 32) & 0xFFFF_FFFF
        if csr == mm.CSR_MIE:
            return self.mie
        if csr == mm.CSR_MIP:
            return self.mip
        if csr in mm.CSR_PMPCFG or csr in mm.CSR_PMPADDR:
            return self.pmp.get(csr, 0)
        if csr in mm.CSR_TRIGGER:
            # No debug triggers (Snitch has none): tselect reads 0 whatever is written, tdata*
            # read 0 (type 0: no trigger), tinfo = 1 (only type 0 supported).
            return 1 if csr == mm.CSR_TINFO else 0
        raise IllegalCsr(csr)

    def write(self, csr: int, value: int, instret: int, cycles: int) -> None:
        if csr in _READ_ONLY:
            raise IllegalCsr(csr)
        # A counter write replaces the writing instruction's own increment (privileged spec
        # 3.3.1): the next instruction reads the written value.
        if csr == mm.CSR_MCYCLE:
            self.cycle_offset = self._offset(cycles, self.cycle_offset, value, low=True)
        elif csr == mm.CSR_MCYCLEH:
            self.cycle_offset = self._offset(cycles, self.cycle_offset, value, low=False)
        elif csr == mm.CSR_MINSTRET:
            self.instret_offset = self._offset(instret, self.instret_offset, value, low=True)
        elif csr == mm.CSR_MINSTRETH:
            self.instret_offset = self._offset(instret, self.instret_offset, value, low=False)
        elif csr in mm.CSR_TRIGGER:
            pass  # no triggers: writes are ignored (WARL)
        elif csr == mm.CSR_MIE:
            self.mie = value & MIE_MASK
        elif csr == mm.CSR_MIP:
            pass  # all implemented pending bits are set by devices only (read-only, WARL)
        elif csr in mm.CSR_PMPCFG or csr in mm.CSR_PMPADDR:
            self.pmp[csr] = value  # stored; every access is allowed (PLATFORM.md section 1)
        else:
            raise IllegalCsr(csr)

    @staticmethod
    def _offset(actual: int, offset: int, value: int, low: bool) -> int:
        """New offset so that the next instruction (at actual + 1) reads a count that has `value`
        in its low or high 32 bits and keeps the other half of the count read now."""
        shown = actual + offset
        if low:
            wanted = (shown & ~0xFFFF_FFFF) | value
        else:
            wanted = (value << 32) | (shown & 0xFFFF_FFFF)
        return wanted - (actual + 1)

    def pending_interrupts(self) -> int:
        return self.mip & self.mie
