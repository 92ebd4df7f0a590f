"""Hand-off of a fast hart to the detailed engine for Snitch's stream registers and FREP.

Unicorn cannot run Xssr or Xfrep: their opcodes (custom-0 0x0B, custom-1 0x2B) and the `ssr` CSR
0x7C0 trap into Python. Each compute core's FastHart then owns one DetailedHart, its hand-off
instance, created at the first use and kept for the whole run (it holds the SSR configuration
and streams between hand-offs). Memory is the cluster's, shared by both.

 - scfgri/scfgwi/scfgr/scfgw are executed at once on the hand-off instance's streamer, with the
   integer registers read from and written to Unicorn (a configuration access needs no other
   state: the fast engine only runs while streams are disabled and no FREP loop is active);
 - a CSR write that enables streams, and frep, hand the hart over: x/f registers, pc, fcsr,
   mstatus, mtvec, mepc, mcause, mtval, mscratch, mcounteren, privilege, instret and stall
   cycles are copied into the detailed hart, which runs (from the trapping instruction, in the
   fast hart's quanta) until streams are disabled and no FREP loop runs (DetailedHart.leave);
   then the state is copied back and Unicorn continues. While the detailed hart runs, the
   FastHart stays the hart the cluster schedules: it forwards run/step/arch_state/describe,
   and keeps its counters, pc and state in step after every run. Arriving at the barrier is
   done for the FastHart (the cluster releases the harts it knows).

Single-precision operands: QEMU 5 does not NaN-box f32 results, so the hand-off instance reads a
single-precision operand as the low 32 bits of its register, as QEMU does (the detailed engine
otherwise reads an improperly boxed value as the canonical NaN); its own results are boxed.
Instructions run by the detailed engine count in `instructions` (the run report's
`handoff_instructions`), and their stall cycles are the detailed engine's timing model.
"""

import ctypes

from unicorn import UcError
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
    UC_RISCV_REG_PRIV,
    UC_RISCV_REG_X0,
)

from .. import privileged as pv
from ..errors import ProgramError
from ..hart import HartState, Stop
from ..isa import IllegalInstruction, decode
from .native import BLOCK_LEN, INSTRET

OPCODE_CUSTOM0, OPCODE_CUSTOM1 = 0x0B, 0x2B  # Xfrep; Xssr (funct3 1, 2) and Xdma (funct3 0)
M32, M64 = 0xFFFF_FFFF, (1 << 64) - 1
_X_REGS = [UC_RISCV_REG_X0 + i for i in range(1, 32)]
_F_REGS = [UC_RISCV_REG_F0 + i for i in range(32)]
_CSRS = (
    ("mtvec", UC_RISCV_REG_MTVEC),
    ("mepc", UC_RISCV_REG_MEPC),
    ("mcause", UC_RISCV_REG_MCAUSE),
    ("mtval", UC_RISCV_REG_MTVAL),
    ("mscratch", UC_RISCV_REG_MSCRATCH),
    ("mcounteren", UC_RISCV_REG_MCOUNTEREN),
)
_CSR_NAMES = [name for name, _ in _CSRS]
# Copied state, in this order: x1..x31, f0..f31, mstatus, the CSRs above, fcsr (last: it is
# written only while the FPU is on, after mstatus).
_STATE = _X_REGS + _F_REGS + [UC_RISCV_REG_MSTATUS] + [reg for _, reg in _CSRS] + [UC_RISCV_REG_FCSR]


class _Batch:
    """One uc_reg_read_batch / uc_reg_write_batch call over a fixed register list, with
    preallocated buffers: the binding's reg_read_batch costs about 1 us per register."""

    def __init__(self, regs: list[int]):
        self.count = n = len(regs)
        self.regs = list(regs)
        self.ids = (ctypes.c_int * n)(*regs)
        self.values = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self.values)
        self.pointers = (ctypes.c_void_p * n)(*(base + 8 * i for i in range(n)))

    def read(self, uc) -> list[int]:
        do = getattr(uc, "_do_reg_read_batch", None)
        if do is None:  # another binding version: the public (slower) call
            return [v & M64 for v in uc.reg_read_batch(self.regs)]
        ctypes.memset(self.values, 0, 8 * self.count)  # 32-bit registers fill 4 bytes
        status = do(self.ids, self.pointers, self.count)
        if status:
            raise UcError(status)
        return list(self.values)

    def write(self, uc, values: list[int]) -> None:
        do = getattr(uc, "_do_reg_write_batch", None)
        if do is None:
            uc.reg_write_batch(list(zip(self.regs, values)))
            return
        self.values[:] = values
        status = do(self.ids, self.pointers, self.count)
        if status:
            raise UcError(status)


_READ_STATE, _WRITE_STATE, _WRITE_STATE_NO_FCSR = _Batch(_STATE), _Batch(_STATE), _Batch(_STATE[:-1])


def handles(word: int) -> bool:
    """frep.o/frep.i and the four SSR configuration instructions."""
    opcode = word & 0x7F
    return opcode == OPCODE_CUSTOM0 or (opcode == OPCODE_CUSTOM1 and (word >> 12) & 7 in (1, 2))


def _lenient_unbox(v: int) -> int:
    return v & M32


def _illegal(pc: int, word: int, detail: str):
    from .hart import _Fault

    return _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, f"illegal instruction ({detail})")


def _handoff(fh) -> "Handoff":
    if fh.handoff is None:
        fh.handoff = Handoff(fh)
    return fh.handoff


def execute_trapped(fh, pc: int, word: int) -> None:
    """A custom-0 or SSR custom-1 word trapped in Unicorn (inside the exception hook)."""
    try:
        d = decode(word)
    except IllegalInstruction as exc:  # as the detailed engine words it (translate.py)
        from .hart import _Fault

        detail = "illegal instruction" if exc.reason == "unknown instruction" else f"illegal instruction: {exc.reason}"
        raise _Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, pc, word, detail) from None
    ext = d.enc.ext
    if fh.hart_id >= fh.cluster.config.cores:
        raise _illegal(pc, word, f"{d.name}: {ext} exists on the compute cores only, not on the DMA core")
    h = _handoff(fh)
    if ext != "Xssr":
        return h.request(pc)  # frep: the detailed engine runs the loop
    uc = fh.uc
    enc = d.enc
    rs1 = uc.reg_read(UC_RISCV_REG_X0 + d.rs1) if enc.rs1 and d.rs1 else 0
    rs2 = uc.reg_read(UC_RISCV_REG_X0 + d.rs2) if enc.rs2 and d.rs2 else 0
    from ..detailed.ssr import SsrError

    try:
        value = h.detailed.ssr.execute(d.name, d.imm, rs1, rs2)
    except SsrError as exc:
        raise ProgramError(fh.describe(pc, str(exc))) from None
    if value is not None:
        fh._write_rd(d.rd, value)
    fh.counters[INSTRET] = fh.retired_before(pc) + 1
    fh.counters[BLOCK_LEN] = 0
    h.instructions += 1


def execute_ssr_csr(fh, pc: int, word: int, access: pv.CsrAccess, instret: int) -> None:
    """A CSR instruction on `ssr` (0x7C0) in Unicorn, where streams are always disabled: it reads
    0; a write that sets bit 0 hands the hart to the detailed engine, which executes it."""
    if fh.hart_id >= fh.cluster.config.cores:
        raise _illegal(pc, word, "CSR ssr 0x7c0: Xssr exists on the compute cores only, not on the DMA core")
    old = 0
    if access.writes:
        operand = access.src if access.immediate else fh.uc.reg_read(UC_RISCV_REG_X0 + access.src)
        if access.new_value(old, operand) & 1:
            return _handoff(fh).request(pc)
    fh._write_rd(access.rd, old)
    fh.counters[INSTRET] = instret + 1
    fh.counters[BLOCK_LEN] = 0


class _ClusterView:
    """The cluster as the hand-off instance sees it: the real one, except that the barrier is
    entered by the FastHart (the cluster knows and releases its own harts)."""

    def __init__(self, cluster, handoff: "Handoff"):
        self._cluster = cluster
        self._handoff = handoff

    def __getattr__(self, name):
        return getattr(self._cluster, name)

    def barrier_arrive(self, hart) -> None:
        self._handoff.barrier_arrive()


class Handoff:
    """The detailed hart that runs a fast hart's SSR/FREP code, and the copying between them."""

    def __init__(self, fast):
        from ..detailed import DetailedHart

        self.fast = fast
        self.cluster = fast.cluster
        dh = DetailedHart(fast.hart_id, _ClusterView(fast.cluster, self), fast.pc)
        dh.sim_csrs = fast.sim_csrs  # mie/mip, counter offsets, PMP: one set per hart
        dh.handoff_mode = True
        dh.unbox = _lenient_unbox
        dh.recent_pcs = self._recent_pcs  # error messages: only what the detailed hart ran
        self.detailed = dh
        self._since = 0  # instret at the current hand-off
        self.active = False
        self.instructions = 0  # instructions the detailed engine executed for this hart
        self.entries = 0  # hand-offs

    # -- entering and leaving ------------------------------------------------------------------

    def request(self, pc: int) -> None:
        """From a Unicorn hook, at the instruction `pc` (not executed): copy the state over and
        stop Unicorn; FastHart.run/step continue with the detailed hart from `pc`."""
        fh = self.fast
        instret = fh.retired_before(pc)
        self._copy_in(pc)
        fh._stop = Stop(pc, instret)
        fh.uc.emu_stop()

    def _copy_in(self, pc: int) -> None:
        from ..detailed import csrfile

        fh, dh, uc = self.fast, self.detailed, self.fast.uc
        dh.priv = priv = uc.reg_read(UC_RISCV_REG_PRIV)
        if priv != pv.PRIV_M:
            uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)  # Unicorn hides M-mode CSRs from U-mode reads
        try:
            state = _READ_STATE.read(uc)
        finally:
            if priv != pv.PRIV_M:
                uc.reg_write(UC_RISCV_REG_PRIV, priv)
        dh.x[1:32] = [v & M32 for v in state[:31]]
        dh.x[0] = 0
        dh.f[:] = state[31:63]
        dh.mstatus = state[63] & csrfile.MSTATUS_WRITABLE
        for name, value in zip(_CSR_NAMES, state[64:-1]):
            setattr(dh, name, value & M32)
        fcsr = state[-1] & 0xFF if dh.mstatus & csrfile.MSTATUS_FS else 0
        dh.fflags, dh.frm = fcsr & 0x1F, fcsr >> 5
        dh.pc = pc
        dh.reservation[0] = -1
        dh.xready[:] = [0] * len(dh.xready)
        dh.fready[:] = [0] * 32
        dh.xready_max[0] = 0
        dh.frep = None
        dh.leave = False
        self._since = fh.retired_before(pc)
        self.active = True
        self.entries += 1

    def _copy_out(self) -> None:
        from ..detailed import csrfile

        fh, dh, uc = self.fast, self.detailed, self.fast.uc
        state = dh.x[1:32] + dh.f + [dh.mstatus] + [getattr(dh, name) for name in _CSR_NAMES]
        uc.reg_write(UC_RISCV_REG_PRIV, pv.PRIV_M)  # Unicorn drops M-mode CSR writes from U-mode
        if dh.mstatus & csrfile.MSTATUS_FS:
            _WRITE_STATE.write(uc, state + [dh.frm << 5 | dh.fflags])
        else:
            _WRITE_STATE_NO_FCSR.write(uc, state)
        uc.reg_write(UC_RISCV_REG_PRIV, dh.priv)
        fh.counters[BLOCK_LEN] = 0
        self.active = False
        dh.leave = False

    def _recent_pcs(self) -> list[int]:
        from ..detailed.hart import HISTORY

        dh = self.detailed
        r = dh._retired
        return [dh._history[(r - k) & (HISTORY - 1)] & ~1 for k in range(min(HISTORY, r - self._since), 0, -1)]

    # -- running ---------------------------------------------------------------------------------

    def _sync_in(self) -> None:
        fh, dh = self.fast, self.detailed
        dh._retired = int(fh.counters[INSTRET])
        dh.stall_cycles = fh.stall_cycles
        dh.state = fh.state

    def _sync_out(self) -> None:
        fh, dh = self.fast, self.detailed
        fh.counters[INSTRET] = dh._retired
        fh.stall_cycles = dh.stall_cycles
        fh.pc = dh.pc
        fh.wait_pc = dh.wait_pc
        fh.state = dh.state

    def run(self, quantum: int) -> None:
        dh = self.detailed
        self._sync_in()
        before = dh._retired
        try:
            dh.run(quantum)
        finally:
            self.instructions += dh._retired - before
            self._sync_out()
        if dh.leave:
            self._copy_out()

    def step(self) -> None:
        dh = self.detailed
        self._sync_in()
        before = dh._retired
        try:
            dh.step()
        finally:
            self.instructions += dh._retired - before
            self._sync_out()
        if dh.leave:
            self._copy_out()

    def barrier_arrive(self) -> None:
        """The detailed hart reached the barrier (it retired the access and is in BARRIER)."""
        fh, dh = self.fast, self.detailed
        self._sync_out()
        self.cluster.barrier_arrive(fh)
        if fh.state is HartState.RUNNING:  # the last to arrive: released at once
            dh.state = HartState.RUNNING
            dh.stall_cycles = fh.stall_cycles
