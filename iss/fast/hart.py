"""The fast engine: one Unicorn (QEMU TCG) instance per hart over the cluster's shared memory.

Unicorn runs plain RV32IMAFD at JIT speed. Everything the cluster adds is served in Python:
 - system instructions that must behave as on Snitch (mhartid, deterministic mcycle/minstret,
   barrier, wfi, mie/mip, pmp*, ebreak) are replaced at load time by a trapping word
   (see patch.py) and executed here from their original encoding;
 - custom CSRs and opcodes trap as illegal instructions on their own;
 - the peripheral page, the zero memory and `tohost` are MMIO callbacks;
 - Unicorn takes no trap itself once a hook has seen the exception, so trap entry
   (mepc, mcause, mtval, mstatus, privilege, mtvec) is done here as the spec says;
 - QEMU performs misaligned loads and stores and jumps to pc = 2 mod 4 (its CPU has the C
   extension); native hooks catch both (native.py) and the exception is raised here.

The pc Unicorn reports inside a memory callback is exact only while a memory hook is installed
(Unicorn then syncs the pc before every access, which is also what makes the alignment check
slow). Without it the pc is the start of the translated block, so `_access_pc` finds the
accessing instruction by decoding the block (see there).
"""

from unicorn import Uc, UcError
from unicorn.riscv_const import (
    UC_RISCV_REG_F0,
    UC_RISCV_REG_FCSR,
    UC_RISCV_REG_MCAUSE,
    UC_RISCV_REG_MCOUNTEREN,
    UC_RISCV_REG_MEPC,
    UC_RISCV_REG_MSCRATCH,
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
    UC_HOOK_MEM_FETCH_PROT,
    UC_HOOK_MEM_FETCH_UNMAPPED,
    UC_HOOK_MEM_READ_UNMAPPED,
    UC_HOOK_MEM_WRITE_UNMAPPED,
    UC_MEM_FETCH_PROT,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_WRITE,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_RISCV32,
    UC_PROT_ALL,
)

from .. import memmap as mm
from .. import privileged as pv
from ..errors import ProgramError
from ..hart import HartBase, HartState, Stop
from ..sim_csrs import MACHINE_FILTERED_CSRS, IllegalCsr
from . import handoff
from . import strict_hook, xdma
from .fp_served import FpIllegal, execute_served_fp, is_served_fp
from . import native
from .native import BLOCK_LEN, BLOCK_PC, BUDGET, FETCH_MISALIGNED, INSTRET

# emu_start needs an end address; this one is never mapped, so reaching it is a fetch fault.
_UNTIL = 0x0000_0004
_INTR_ILLEGAL = 2
_INTR_ECALLS = (8, 9, 11)
# QEMU checks the alignment of LR/SC/AMOs itself; it reports them all as load misaligned.
_INTR_MISALIGNED = (pv.CAUSE_LOAD_MISALIGNED, pv.CAUSE_STORE_MISALIGNED)


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
        self._last_access = (-1, -1, 0, 0)  # (block run, pc, first, end address) found by _access_pc
        self._trap_loop = (-1, -1, 0)  # (handler pc, instret, repeats) of the last exception taken
        self.handoff: handoff.Handoff | None = None  # the detailed hart for SSR/FREP code (handoff.py)
        self._map_memory()
        native.add_block_counter(uc, self.counters)
        self.align_state = None  # numpy state of the misaligned-access hook, when installed
        if cluster.config.check_alignment:
            ram = [(base, base + buf.size) for _, base, buf in cluster.memory.regions]
            self.align_state = native.new_alignment_state(ram)
            native.add_alignment_check(uc, self.align_state)
        # strict mode: the DMA/ITA pending-memory check (strict_hook.py; needs cluster.guard)
        self.strict_state = strict_hook.install(self) if cluster.config.strict else None
        uc.hook_add(UC_HOOK_INTR, self._on_exception)
        uc.hook_add(UC_HOOK_INSN_INVALID, self._on_invalid)
        uc.hook_add(
            UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_FETCH_PROT,
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
        uc.mmio_map(mm.ITA_BASE, mm.ITA_SIZE, *xdma.mmio(self, cl.ita, mm.ITA_BASE))
        uc.mmio_map(mm.DMA_BASE, mm.DMA_SIZE, *xdma.mmio(self, cl.dma_frontend, mm.DMA_BASE))

    def _access_pc(self, address: int, store: bool) -> int:
        """pc of the load/store/AMO now accessing `address` (called from a memory callback).

        With the alignment hook installed Unicorn syncs the pc before every access. Without it
        the pc is the start of the current block, and the instruction is found by decoding the
        block: the first load/store (of the right direction) whose address, computed from the
        registers as they are now, covers `address`. Registers are current in a callback, and
        an earlier instruction of the block that computes the same address from the same
        registers made the same access, so it is the one, except when its base register was
        rewritten in between to that very value. A second access in the same run of the same
        block is searched after the first.
        """
        pc = self.uc.reg_read(UC_RISCV_REG_PC)
        if self.align_state is not None:
            return pc
        c = self.counters
        start, end = int(c[BLOCK_PC]), int(c[BLOCK_PC] + 4 * c[BLOCK_LEN])
        if not start <= pc < end:
            return pc
        run = int(c[INSTRET])  # changes at every block entry: identifies this run of the block
        last_run, last_pc, first, last = self._last_access
        if last_run == run and start <= last_pc < end:
            if first < address < last:
                return last_pc  # the next part of an access split by QEMU (e.g. fsd to MMIO)
            start = last_pc + 4
        for p in range(start, end, 4):
            span = self._access_span(p, store)
            if span is not None and span[0] <= address < span[1]:
                self._last_access = (run, p, *span)
                return p
        return pc

    def _access_span(self, pc: int, store: bool) -> tuple[int, int] | None:
        """[first, end) address the instruction at `pc` accesses with the registers as they are now."""
        try:
            access = pv.mem_access(self.cluster.original_word(pc))
        except IndexError:
            return None
        if access is None or not (access.stores if store else access.loads):
            return None
        base = self.uc.reg_read(UC_RISCV_REG_X0 + access.rs1) if access.rs1 else 0
        ea = (base + access.offset) & 0xFFFF_FFFF
        return ea, ea + access.size

    def _periph_read(self, uc, offset, size, _ud):
        return self.cluster.peripherals.read(self, offset, size, self._access_pc(mm.PERIPH_BASE + offset, False))

    def _periph_write(self, uc, offset, size, value, _ud):
        pc = self._access_pc(mm.PERIPH_BASE + offset, True)
        self.cluster.peripherals.write(self, offset, size, value, pc)

    def _tohost_read(self, uc, offset, size, _ud):
        return int.from_bytes(self.cluster.memory.read(self.cluster.tohost_page + offset, size), "little")

    def _tohost_write(self, uc, offset, size, value, _ud):
        address = self.cluster.tohost_page + offset
        self.cluster.memory.write(address, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))
        self.cluster.tohost_written(self, address, value, self._access_pc(address, True))

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
            if self.handoff is not None and self.handoff.active:
                self.handoff.run(int(end - c[INSTRET]))  # SSR/FREP code: on the detailed engine
                continue
            if self.sim_csrs.pending_interrupts():
                self._take_interrupt()
            c[BUDGET] = end
            self._stop = None
            self._fault = None
            error = None
            try:
                self.uc.emu_start(self.pc, _UNTIL)
            except UcError as exc:
                error = exc
            self._collect_native_faults()
            if error is not None and self._fault is None:
                raise ProgramError(self.describe(self.uc.reg_read(UC_RISCV_REG_PC), f"Unicorn error: {error}"))
            if self._fault is not None:
                self._trap(self._fault)
            elif self._stop is not None:
                c[INSTRET] = self._stop.instret
                self.pc = self._stop.pc
            else:
                self.pc = self.uc.reg_read(UC_RISCV_REG_PC)
                if self.pc == _UNTIL:
                    self._trap(_Fault(pv.CAUSE_FETCH_ACCESS, self.pc, self.pc, f"instruction fetch from unmapped address 0x{self.pc:08x}"))
                    continue
                # Budget reached: Unicorn stopped at the entry of a block it did not run.
                # The quantum ends here, up to one block early.
                c[INSTRET] -= c[BLOCK_LEN]
                c[BLOCK_LEN] = 0
                return

    # -- hooks -------------------------------------------------------------------------------

    def _collect_native_faults(self) -> None:
        """After emu_start: turn what the native hooks recorded into self._fault (it wins over
        a stop requested later in the same run, e.g. by the store's MMIO side effect)."""
        c = self.counters
        if c[FETCH_MISALIGNED]:
            target = int(c[FETCH_MISALIGNED])
            c[FETCH_MISALIGNED] = 0
            # The block that jumped there was the last one entered; the jump (or branch) is its
            # last instruction, and the exception is taken on it. QEMU has already written the
            # link register of a jal/jalr: the one state change of the jump that stays.
            jump = int(c[BLOCK_PC] + 4 * (c[BLOCK_LEN] - 1))
            self._fault = _Fault(
                pv.CAUSE_FETCH_MISALIGNED, jump, target, f"jump to misaligned address 0x{target:08x}"
            )
            c[INSTRET] = self.retired_before(jump)
        st = self.align_state
        if st is not None and st[native.MA_TYPE]:
            address, size, pc = int(st[native.MA_ADDR]), int(st[native.MA_SIZE]), int(st[native.MA_PC])
            store = int(st[native.MA_TYPE]) == UC_MEM_WRITE
            if st[native.MA_SAVED]:  # QEMU performed the store after the hook: undo it in RAM
                old = int(st[native.MA_OLD]) & ((1 << (8 * size)) - 1)
                self.cluster.memory.write(address, old.to_bytes(size, "little"))
            st[native.MA_TYPE] = 0
            access = pv.mem_access(self.cluster.original_word(pc))
            if access is not None and access.stores:
                store = True  # SC and AMOs: store/AMO address misaligned
            self._fault = self._misaligned(pc, address, size, store)
            c[INSTRET] = self.retired_before(pc)
        if self.strict_state is not None:
            strict_hook.collect(self)  # an access to memory a DMA/ITA still uses (strict mode)

    @staticmethod
    def _misaligned(pc: int, address: int, size: int, store: bool) -> _Fault:
        cause = pv.CAUSE_STORE_MISALIGNED if store else pv.CAUSE_LOAD_MISALIGNED
        kind = "store to" if store else "load from"
        return _Fault(cause, pc, address, f"misaligned {kind} address 0x{address:08x} ({size} B)")

    def _on_exception(self, uc, intno, _ud):
        # Unicorn reports the pc of the instruction after the one that raised the exception.
        pc = uc.reg_read(UC_RISCV_REG_PC) - 4
        try:
            if intno == _INTR_ILLEGAL:
                self._execute_trapped(pc)
            elif intno in _INTR_ECALLS:
                raise _Fault(pv.CAUSE_ECALL_U + uc.reg_read(UC_RISCV_REG_PRIV), pc, 0)
            elif intno in _INTR_MISALIGNED and (access := pv.mem_access(self.cluster.original_word(pc))):
                address = (uc.reg_read(UC_RISCV_REG_X0 + access.rs1) + access.offset) & 0xFFFF_FFFF
                raise self._misaligned(pc, address, access.size, access.stores)
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
        if access in (UC_MEM_FETCH_UNMAPPED, UC_MEM_FETCH_PROT):
            if access == UC_MEM_FETCH_UNMAPPED:
                what = f"unmapped address 0x{address:08x}"
            elif self.cluster.tohost_page is not None and address & ~(mm.PAGE - 1) == self.cluster.tohost_page:
                # L2 RAM, but the fast engine serves the page of `tohost` through callbacks.
                what = f"0x{address:08x}, in the page of `tohost`, which the fast engine cannot execute"
            else:
                what = f"device address 0x{address:08x}"
            self._fault = _Fault(pv.CAUSE_FETCH_ACCESS, address, address, f"instruction fetch from {what}")
            return False
        store = access == UC_MEM_WRITE_UNMAPPED
        pc = self._access_pc(address, store)
        try:
            decoded = pv.mem_access(self.cluster.original_word(pc))
        except IndexError:
            decoded = None
        if decoded is not None and decoded.stores:
            store = True  # an AMO or SC reads first: a store/AMO access fault all the same
        kind = "store to" if store else "load from"
        cause = pv.CAUSE_STORE_ACCESS if store else pv.CAUSE_LOAD_ACCESS
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
            if self.uc.reg_read(UC_RISCV_REG_PRIV) < pv.PRIV_M and self.machine_csr(UC_RISCV_REG_MSTATUS) & pv.MSTATUS_TW:
                raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, "wfi in U-mode with mstatus.TW set")
            self.wait_pc = pc
            if not self.cluster.events.wfi(self, self.retired_before(pc) + 1 + self.stall_cycles):
                return self.stop_after(pc)  # a latched DMA/ITA completion event: no sleep (events.py)
            return self.stop_after(pc, HartState.WFI)
        if word == pv.EBREAK:
            raise _Fault(pv.CAUSE_BREAKPOINT, pc, pc)
        if xdma.is_xdma(word):  # custom-1 funct3 000: the DMA core's Xdma (xdma.py)
            return xdma.execute(self, pc, word)
        if is_served_fp(word):
            return self._execute_served_fp(pc, word)
        if handoff.handles(word):  # Xssr configuration, frep
            return handoff.execute_trapped(self, pc, word)
        raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, "illegal instruction")

    def _execute_csr(self, pc: int, word: int, access: pv.CsrAccess) -> None:
        uc = self.uc
        instret = self.retired_before(pc)
        cycles = instret + self.stall_cycles
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        if not pv.csr_permitted(access.csr, priv, access.writes, self.machine_csr(UC_RISCV_REG_MCOUNTEREN)):
            mode = "M" if priv == pv.PRIV_M else "U"
            raise _Fault(
                pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, f"illegal instruction (CSR 0x{access.csr:03x} from {mode}-mode)"
            )
        try:
            if access.csr == mm.CSR_BARRIER:
                self._write_rd(access.rd, 0)
                self.wait_pc = pc
                self.stop_after(pc, HartState.BARRIER)
                self.cluster.barrier_arrive(self)
                return
            if access.csr == mm.CSR_SSR:
                return handoff.execute_ssr_csr(self, pc, word, access, instret)
            if access.csr in MACHINE_FILTERED_CSRS:
                return self._execute_filtered_csr(access, instret)
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

    def _execute_served_fp(self, pc: int, word: int) -> None:
        uc = self.uc
        mstatus = self.machine_csr(UC_RISCV_REG_MSTATUS)
        try:
            fcsr = execute_served_fp(
                lambda n: uc.reg_read(UC_RISCV_REG_F0 + n),
                lambda n, bits: uc.reg_write(UC_RISCV_REG_F0 + n, bits),
                self.machine_csr(UC_RISCV_REG_FCSR) & 0xFF,
                mstatus,
                word,
            )
        except FpIllegal as exc:
            raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, f"illegal instruction ({exc})") from None
        self.set_machine_csr(UC_RISCV_REG_FCSR, fcsr)
        self.set_machine_csr(UC_RISCV_REG_MSTATUS, mstatus | (3 << 13))  # FS dirty
        self.counters[INSTRET] = self.retired_before(pc) + 1
        self.counters[BLOCK_LEN] = 0

    def _execute_filtered_csr(self, access: pv.CsrAccess, instret: int) -> None:
        """misa and mstatus as an M+U Snitch hart has them (QEMU's CPU also has S and C)."""
        if access.csr == mm.CSR_MISA:
            old = pv.MISA_VALUE  # writes ignored (WARL)
        else:
            old = self.machine_csr(UC_RISCV_REG_MSTATUS)
            if access.writes:
                operand = access.src if access.immediate else self.uc.reg_read(UC_RISCV_REG_X0 + access.src)
                self.set_machine_csr(UC_RISCV_REG_MSTATUS, pv.legal_mstatus(old, access.new_value(old, operand)))
        self._write_rd(access.rd, old)
        self.counters[INSTRET] = instret + 1
        self.counters[BLOCK_LEN] = 0

    def _write_rd(self, rd: int, value: int) -> None:
        if rd:
            self.uc.reg_write(UC_RISCV_REG_X0 + rd, value & 0xFFFF_FFFF)

    # -- traps -------------------------------------------------------------------------------

    def _trap(self, fault: _Fault) -> None:
        mtvec = self.machine_csr(UC_RISCV_REG_MTVEC)
        detail = fault.detail or pv.CAUSE_NAMES.get(fault.cause, f"exception {fault.cause}")
        if mtvec == 0:
            self.state = HartState.EXITED
            raise ProgramError(self.describe(fault.pc, f"{detail}, and no trap handler is installed (mtvec = 0)"))
        # A handler whose first instruction faults re-enters itself forever without retiring
        # anything (so neither --max-cycles nor the scheduler would ever see time pass).
        handler, instret, repeats = self._trap_loop
        repeats = repeats + 1 if (fault.pc, self.instret) == (handler, instret) else 0
        if repeats >= 2:
            self.state = HartState.EXITED
            raise ProgramError(
                self.describe(
                    fault.pc, f"{detail} at the first instruction of the trap handler (mtvec = 0x{mtvec:08x}): it traps forever"
                )
            )
        self.enter_trap(fault.cause, fault.pc, fault.tval)
        self._trap_loop = (self.pc, self.instret, repeats)

    def machine_csr(self, reg: int) -> int:
        """Value of a machine-mode CSR whatever the privilege the hart runs at. Unicorn checks
        the current privilege in uc.reg_read/reg_write of CSRs: in U-mode a read returns
        garbage and a write is dropped, so M-mode is entered for the access."""
        uc = self.uc
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        if priv == pv.PRIV_M:
            return uc.reg_read(reg)
        uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)
        try:
            return uc.reg_read(reg)
        finally:
            uc.reg_write(UC_RISCV_REG_PRIV, priv)

    def set_machine_csr(self, reg: int, value: int) -> None:
        """Write a machine-mode CSR whatever the privilege (see machine_csr)."""
        uc = self.uc
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        if priv != pv.PRIV_M:
            uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)
        try:
            uc.reg_write(reg, value)
        finally:
            if priv != pv.PRIV_M:
                uc.reg_write(UC_RISCV_REG_PRIV, priv)

    def enter_trap(self, cause: int, epc: int, tval: int) -> None:
        uc = self.uc
        priv = uc.reg_read(UC_RISCV_REG_PRIV)
        uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)  # first: see machine_csr
        uc.reg_write(UC_RISCV_REG_MSTATUS, pv.trap_state(uc.reg_read(UC_RISCV_REG_MSTATUS), priv))
        uc.reg_write(UC_RISCV_REG_MEPC, epc)
        uc.reg_write(UC_RISCV_REG_MCAUSE, cause)
        uc.reg_write(UC_RISCV_REG_MTVAL, tval)
        self.pc = pv.trap_target(uc.reg_read(UC_RISCV_REG_MTVEC), cause)

    def interrupts_enabled(self) -> bool:
        priv = self.uc.reg_read(UC_RISCV_REG_PRIV)
        return priv < pv.PRIV_M or bool(self.machine_csr(UC_RISCV_REG_MSTATUS) & pv.MSTATUS_MIE)

    def _take_interrupt(self) -> None:
        pending = self.sim_csrs.pending_interrupts()
        if not pending or not self.interrupts_enabled() or self.machine_csr(UC_RISCV_REG_MTVEC) == 0:
            return
        code = max(i for i in range(32) if pending >> i & 1)  # highest-numbered first (Snitch: MCIP 19)
        self.enter_trap(pv.INTERRUPT | code, self.pc, 0)

    # -- lockstep ----------------------------------------------------------------------------

    def step(self) -> None:
        """Execute exactly one instruction (lockstep mode: exact, slow)."""
        if self.handoff is not None and self.handoff.active:
            return self.handoff.step()
        c = self.counters
        before = int(c[INSTRET])
        c[BUDGET] = 1 << 62
        self._stop = None
        self._fault = None
        if self.sim_csrs.pending_interrupts():
            self._take_interrupt()
            return
        error = None
        try:
            self.uc.emu_start(self.pc, _UNTIL, count=1)
        except UcError as exc:
            error = exc
        self._collect_native_faults()
        if error is not None and self._fault is None:
            raise ProgramError(self.describe(self.pc, f"Unicorn error: {error}"))
        if self._fault is not None:
            self._trap(self._fault)
        elif self._stop is not None:
            c[INSTRET] = self._stop.instret
            self.pc = self._stop.pc
        else:
            c[INSTRET] = before + 1
            self.pc = self.uc.reg_read(UC_RISCV_REG_PC)
        c[BLOCK_LEN] = 0
        if self.handoff is not None and self.handoff.active:
            self.handoff.step()  # the instruction handed the hart over: the detailed hart runs it

    def arch_state(self) -> dict[str, int]:
        """Architectural state compared in lockstep (names as the disassembler prints them)."""
        if self.handoff is not None and self.handoff.active:
            return self.handoff.detailed.arch_state()
        uc = self.uc
        state = {f"x{i}": uc.reg_read(UC_RISCV_REG_X0 + i) for i in range(1, 32)}
        state.update({f"f{i}": uc.reg_read(UC_RISCV_REG_F0 + i) & (1 << 64) - 1 for i in range(32)})
        state["pc"] = self.pc
        state["fcsr"] = self.machine_csr(UC_RISCV_REG_FCSR) & 0xFF
        for name, reg in (
            ("mepc", UC_RISCV_REG_MEPC),
            ("mcause", UC_RISCV_REG_MCAUSE),
            ("mtval", UC_RISCV_REG_MTVAL),
            ("mstatus", UC_RISCV_REG_MSTATUS),
            ("mtvec", UC_RISCV_REG_MTVEC),
            ("mscratch", UC_RISCV_REG_MSCRATCH),
        ):
            state[name] = self.machine_csr(reg)  # Unicorn hides M-mode CSRs from U-mode reads
        state["priv"] = uc.reg_read(UC_RISCV_REG_PRIV)
        state["instret"] = self.instret
        return state

    # -- reporting ---------------------------------------------------------------------------

    def read_word(self, address: int) -> int | None:
        try:
            return self.cluster.original_word(address)
        except IndexError:
            return None

    def describe(self, pc: int, what: str) -> str:
        if self.handoff is not None and self.handoff.active:
            return self.handoff.detailed.describe(pc, what)
        return self.cluster.describe_fault(self, pc, what, self._recent_pcs(pc))

    def _recent_pcs(self, pc: int) -> list[int]:
        """The fast engine keeps no trace: the instructions of the current block before `pc`,
        or, when `pc` is outside it (a jump to an unmapped address), the whole block."""
        start, length = int(self.counters[BLOCK_PC]), int(self.counters[BLOCK_LEN])
        if start <= pc and pc - start < 4 * 64:
            return list(range(start, pc, 4))
        return list(range(start, start + 4 * min(length, 64), 4))
