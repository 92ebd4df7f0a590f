"""The fast engine: one Unicorn (QEMU TCG) instance per hart over the cluster's shared memory.

Unicorn runs plain RV32IMAFD at JIT speed. Everything the cluster adds is served in Python:
 - system instructions that must behave as on Snitch (mhartid, deterministic mcycle/minstret,
   barrier, wfi, mie/mip, pmp*, ebreak) are replaced at load time by a trapping word
   (see patch.py) and executed here from their original encoding;
 - custom CSRs and opcodes trap as illegal instructions on their own;
 - the peripheral page, the zero memory and `tohost` are MMIO callbacks;
 - Unicorn takes no trap itself once a hook has seen the exception, so trap entry
   (mepc, mcause, mtval, mstatus, privilege, mtvec) is done here as the spec says.
"""

from unicorn import Uc, UcError
from unicorn.riscv_const import (
    UC_RISCV_REG_MCAUSE,
    UC_RISCV_REG_MEPC,
    UC_RISCV_REG_MSTATUS,
    UC_RISCV_REG_MTVAL,
    UC_RISCV_REG_MTVEC,
    UC_RISCV_REG_PC,
    UC_RISCV_REG_PRIV,
    UC_RISCV_REG_X0,
)
from unicorn.unicorn_const import (
    UC_ARCH_RISCV,
    UC_HOOK_INSN_INVALID,
    UC_HOOK_INTR,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_RISCV32,
    UC_PROT_ALL,
)

from .. import memmap as mm
from .. import privileged as pv
from ..errors import ProgramError
from ..hart import HartBase, HartState, Stop
from ..sim_csrs import IllegalCsr
from . import native
from .native import BLOCK_LEN, BLOCK_PC, BUDGET, INSTRET

# emu_start needs an end address; this one is never mapped, so reaching it is a fetch fault.
_UNTIL = 0x0000_0004
_INTR_ILLEGAL = 2
_INTR_ECALLS = (8, 9, 11)


class _Fault(Exception):
    """An exception the program raised; becomes a trap or, with no handler, a ProgramError."""

    def __init__(self, cause: int, pc: int, tval: int, detail: str = ""):
        super().__init__(detail)
        self.cause, self.pc, self.tval, self.detail = cause, pc, tval, detail


class FastHart(HartBase):
    engine = "fast"

    def __init__(self, hart_id: int, cluster, entry: int):
        super().__init__(hart_id, cluster)
        self.uc = uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        self.counters = native.new_counters()
        self.pc = entry
        self._stop: Stop | None = None
        self._fault: _Fault | None = None
        self._map_memory()
        native.add_block_counter(uc, self.counters)
        uc.hook_add(UC_HOOK_INTR, self._on_exception)
        uc.hook_add(UC_HOOK_INSN_INVALID, self._on_invalid)
        uc.hook_add(
            UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED,
            self._on_unmapped,
        )
        uc.reg_write(UC_RISCV_REG_X0 + 10, hart_id)  # a0 = hart id, as Banshee boots harts

    # -- memory ------------------------------------------------------------------------------

    def _map_memory(self) -> None:
        uc, mem, cl = self.uc, self.cluster.memory, self.cluster
        uc.mem_map_ptr(mm.L1_BASE, mem.l1.size, UC_PROT_ALL, mem.l1.ctypes.data)
        tohost_page = cl.tohost_page
        l2_end = mm.L2_BASE + mem.l2.size
        if tohost_page is None:
            uc.mem_map_ptr(mm.L2_BASE, mem.l2.size, UC_PROT_ALL, mem.l2.ctypes.data)
        else:  # map L2 around the page holding `tohost`, which gets MMIO callbacks
            off = tohost_page - mm.L2_BASE
            if off:
                uc.mem_map_ptr(mm.L2_BASE, off, UC_PROT_ALL, mem.l2.ctypes.data)
            if tohost_page + mm.PAGE < l2_end:
                rest = off + mm.PAGE
                uc.mem_map_ptr(tohost_page + mm.PAGE, mem.l2.size - rest, UC_PROT_ALL, mem.l2[rest:].ctypes.data)
            uc.mmio_map(tohost_page, mm.PAGE, self._tohost_read, None, self._tohost_write, None)
        uc.mmio_map(mm.PERIPH_BASE, mm.PERIPH_SIZE, self._periph_read, None, self._periph_write, None)
        uc.mmio_map(mm.ZERO_MEM_BASE, mm.ZERO_MEM_SIZE, lambda *a: 0, None, lambda *a: None, None)

    def _mmio_pc(self) -> int:
        return self.uc.reg_read(UC_RISCV_REG_PC)

    def _periph_read(self, uc, offset, size, _ud):
        return self.cluster.peripherals.read(self, offset, size, self._mmio_pc())

    def _periph_write(self, uc, offset, size, value, _ud):
        pc = self._mmio_pc()
        self.cluster.peripherals.write(self, offset, size, value, pc)

    def _tohost_read(self, uc, offset, size, _ud):
        return int.from_bytes(self.cluster.memory.read(self.cluster.tohost_page + offset, size), "little")

    def _tohost_write(self, uc, offset, size, value, _ud):
        address = self.cluster.tohost_page + offset
        self.cluster.memory.write(address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))
        self.cluster.tohost_written(self, address, value, self._mmio_pc())

    # -- counting ----------------------------------------------------------------------------

    @property
    def instret(self) -> int:
        return int(self.counters[INSTRET])

    def retired_before(self, pc: int) -> int:
        """Instructions retired before the one at `pc`, inside the block now executing."""
        c = self.counters
        return int(c[INSTRET] - c[BLOCK_LEN] + (pc - c[BLOCK_PC]) // 4)

    def stop_after(self, pc: int, state: HartState | None = None) -> None:
        """Called from a hook: the instruction at `pc` retired; stop this hart after it."""
        self._stop = Stop(pc + 4, self.retired_before(pc) + 1)
        if state is not None:
            self.state = state
        self.uc.emu_stop()

    # -- running -----------------------------------------------------------------------------

    def run(self, quantum: int) -> None:
        """Run up to `quantum` instructions, or until the hart blocks or exits."""
        c = self.counters
        end = int(c[INSTRET]) + quantum
        while self.state is HartState.RUNNING and c[INSTRET] < end and not self.cluster.finished:
            if self.sim_csrs.pending_interrupts():
                self._take_interrupt()
            c[BUDGET] = end
            self._stop = None
            self._fault = None
            try:
                self.uc.emu_start(self.pc, _UNTIL)
            except UcError as exc:
                if self._fault is None:
                    raise ProgramError(self.describe(self.uc.reg_read(UC_RISCV_REG_PC), f"Unicorn error: {exc}"))
            if self._fault is not None:
                self._trap(self._fault)
            elif self._stop is not None:
                c[INSTRET] = self._stop.instret
                self.pc = self._stop.pc
            else:
                self.pc = self.uc.reg_read(UC_RISCV_REG_PC)
                if self.pc == _UNTIL:
                    self._trap(_Fault(pv.CAUSE_FETCH_ACCESS, self.pc, self.pc, "fetch from unmapped address"))
                    continue
                # Budget reached: Unicorn stopped at the entry of a block it did not run.
                # The quantum ends here, up to one block early.
                c[INSTRET] -= c[BLOCK_LEN]
                c[BLOCK_LEN] = 0
                return

    # -- hooks -------------------------------------------------------------------------------

    def _on_exception(self, uc, intno, _ud):
        # Unicorn reports the pc of the instruction after the one that raised the exception.
        pc = uc.reg_read(UC_RISCV_REG_PC) - 4
        try:
            if intno == _INTR_ILLEGAL:
                self._execute_trapped(pc)
            elif intno in _INTR_ECALLS:
                raise _Fault(pv.CAUSE_ECALL_U + uc.reg_read(UC_RISCV_REG_PRIV), pc, 0)
            else:
                raise _Fault(intno, pc, 0)
        except _Fault as fault:
            self._fault = fault
            self.counters[INSTRET] = self.retired_before(fault.pc)
            uc.emu_stop()

    def _on_invalid(self, uc, _ud):
        # Unicorn reports ebreak-like exceptions here, at the instruction's own pc.
        pc = uc.reg_read(UC_RISCV_REG_PC)
        self._fault = _Fault(pv.CAUSE_BREAKPOINT, pc, pc)
        self.counters[INSTRET] = self.retired_before(pc)
        return False

    def _on_unmapped(self, uc, access, address, size, value, _ud):
        if access == UC_MEM_FETCH_UNMAPPED:
            self._fault = _Fault(pv.CAUSE_FETCH_ACCESS, address, address, "fetch from unmapped address")
            return False
        pc = uc.reg_read(UC_RISCV_REG_PC)
        kind = "store to" if access == UC_MEM_WRITE_UNMAPPED else "load from"
        cause = pv.CAUSE_STORE_ACCESS if access == UC_MEM_WRITE_UNMAPPED else pv.CAUSE_LOAD_ACCESS
        self._fault = _Fault(cause, pc, address, f"{kind} unmapped address 0x{address:08x} ({size} B)")
        self.counters[INSTRET] = self.retired_before(pc)
        return False

    # -- instructions served in Python -------------------------------------------------------

    def _execute_trapped(self, pc: int) -> None:
        word = self.cluster.original_word(pc)
        access = pv.csr_access(word)
        if access is not None:
            return self._execute_csr(pc, word, access)
        if word == pv.WFI:
            self.wait_pc = pc
            return self.stop_after(pc, HartState.WFI)
        if word == pv.EBREAK:
            raise _Fault(pv.CAUSE_BREAKPOINT, pc, pc)
        raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, "illegal instruction")

    def _execute_csr(self, pc: int, word: int, access: pv.CsrAccess) -> None:
        uc = self.uc
        instret = self.retired_before(pc)
        cycles = instret + self.stall_cycles
        try:
            if access.csr == mm.CSR_BARRIER:
                self._write_rd(access.rd, 0)
                self.wait_pc = pc
                self.stop_after(pc, HartState.BARRIER)
                self.cluster.barrier_arrive(self)
                return
            if access.csr == mm.CSR_SSR:
                raise IllegalCsr(access.csr)  # streams arrive with the detailed engine
            old = self.sim_csrs.read(access.csr, instret, cycles) if access.reads or access.writes else 0
            if access.writes:
                operand = access.src if access.immediate else uc.reg_read(UC_RISCV_REG_X0 + access.src)
                self.sim_csrs.write(access.csr, access.new_value(old, operand), instret, cycles)
        except IllegalCsr:
            raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, f"illegal instruction (CSR 0x{access.csr:03x})")
        self._write_rd(access.rd, old)
        self.counters[INSTRET] = instret + 1
        self.counters[BLOCK_LEN] = 0
        # Unicorn resumes at pc + 4; a blocked cluster state (e.g. mie change) is seen next quantum.

    def _write_rd(self, rd: int, value: int) -> None:
        if rd:
            self.uc.reg_write(UC_RISCV_REG_X0 + rd, value & 0xFFFF_FFFF)

    # -- traps -------------------------------------------------------------------------------

    def _trap(self, fault: _Fault) -> None:
        uc = self.uc
        mtvec = uc.reg_read(UC_RISCV_REG_MTVEC)
        if mtvec == 0:
            name = pv.CAUSE_NAMES.get(fault.cause, f"exception {fault.cause}")
            detail = fault.detail or name
            if fault.cause == pv.CAUSE_ECALL_M or fault.cause == pv.CAUSE_ECALL_U:
                detail = f"{name} with no trap handler (mtvec = 0)"
            self.state = HartState.EXITED
            raise ProgramError(self.describe(fault.pc, detail))
        self.enter_trap(fault.cause, fault.pc, fault.tval)

    def enter_trap(self, cause: int, epc: int, tval: int) -> None:
        uc = self.uc
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        uc.reg_write(UC_RISCV_REG_MSTATUS, pv.trap_state(uc.reg_read(UC_RISCV_REG_MSTATUS), priv))
        uc.reg_write(UC_RISCV_REG_MEPC, epc)
        uc.reg_write(UC_RISCV_REG_MCAUSE, cause)
        uc.reg_write(UC_RISCV_REG_MTVAL, tval)
        uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)
        self.pc = pv.trap_target(uc.reg_read(UC_RISCV_REG_MTVEC), cause)

    def interrupts_enabled(self) -> bool:
        priv = self.uc.reg_read(UC_RISCV_REG_PRIV)
        return priv < pv.PRIV_M or bool(self.uc.reg_read(UC_RISCV_REG_MSTATUS) & pv.MSTATUS_MIE)

    def _take_interrupt(self) -> None:
        pending = self.sim_csrs.pending_interrupts()
        if not pending or not self.interrupts_enabled() or self.uc.reg_read(UC_RISCV_REG_MTVEC) == 0:
            return
        code = max(i for i in range(32) if pending >> i & 1)  # highest-numbered first (Snitch: MCIP 19)
        self.enter_trap(pv.INTERRUPT | code, self.pc, 0)

    # -- reporting ---------------------------------------------------------------------------

    def read_word(self, address: int) -> int | None:
        try:
            return self.cluster.original_word(address)
        except IndexError:
            return None

    def describe(self, pc: int, what: str) -> str:
        return self.cluster.describe_fault(self, pc, what, self._recent_pcs(pc))

    def _recent_pcs(self, pc: int) -> list[int]:
        """The fast engine keeps no trace: the instructions of the current block before `pc`."""
        start = int(self.counters[BLOCK_PC])
        if not (start <= pc and pc - start < 4 * 64):
            return []
        return list(range(start, pc, 4))
