"""DetailedHart: a pure-Python RV32IMAFD hart with the timing model of PLATFORM.md section 6.

Same interface as the fast engine's FastHart (run, instret, pc, state, stall_cycles, cycles,
sim_csrs, stop_after, describe, enter_trap), plus step() and arch_state() for lockstep.

Execution: each pc is translated once into a closure (translate.py, executors exec_*.py)
kept in `cache`; the run loop is

    pc = (cache.get(pc) or miss(pc))(n);  n += 1

where n counts retired instructions. A closure returns the next pc, raises Fault (trap; the
instruction does not retire) or Stop (it retired and the hart must leave the loop). A pc with
bit 0 set (never a real pc) is a tag: the instruction there runs through miss(), which first
applies the integer scoreboard (a recent FP instruction wrote an integer register whose value
is not ready yet).
"""

from .. import privileged as pv
from ..errors import ProgramError
from ..hart import HartBase, HartState
from .access import DataPort
from .common import X_SINK, Fault, Stop
from .ssr import SsrUnit
from .timing import DEFAULT_TIMING
from .translate import int_destination, int_sources, translate

HISTORY = 16  # retired pcs kept for error messages (a power of two)
RESERVATION_GRACE = 64  # a quantum may run this many more instructions to finish an lr/sc pair


class DetailedHart(HartBase):
    engine = "detailed"

    def __init__(self, hart_id: int, cluster, entry: int):
        self._st = [0]  # stall cycles, shared with the closures (stall_cycles property)
        super().__init__(hart_id, cluster)
        self.timing = getattr(cluster.config, "timing", None) or DEFAULT_TIMING
        self.x = [0] * (X_SINK + 1)
        self.x[10] = hart_id  # a0 = hart id, as the fast engine boots harts
        self.f = [0] * 32
        self.xready = [0] * (X_SINK + 1)  # cycle at which each register's value is ready
        self.fready = [0] * 32
        self.xready_max = [0]
        self.priv = pv.PRIV_M
        self.mstatus = 0
        self.mtvec = self.mepc = self.mcause = self.mtval = self.mscratch = self.mcounteren = 0
        self.fflags = self.frm = 0
        self.reservation = [-1, 0]  # lr.w address (-1: none) and the value it loaded
        self.pc = entry
        self._retired = 0
        self._history = [0] * HISTORY
        self._stop_pc: int | None = None
        self._window: dict[int, tuple] = {}
        self.cache: dict = {}
        self.port = DataPort(self)
        # Xssr and Xfrep, compute cores only: the streamer (ssr.py) and the step closure of the
        # running FREP loop (frep.py). A fast hart's hand-off instance (iss/fast/handoff.py) has
        # handoff_mode set; it leaves its run loop when `leave` is set (streams off, no FREP).
        self.ssr = SsrUnit(self.port.l1) if hart_id < cluster.config.cores else None
        self.frep = None
        self.handoff_mode = False
        self.leave = False

    @property
    def timing_model(self) -> str:
        """One line for the run report."""
        return self.timing.describe()

    # -- counters ----------------------------------------------------------------------------------

    @property
    def instret(self) -> int:
        return self._retired

    @property
    def stall_cycles(self) -> int:
        return self._st[0]

    @stall_cycles.setter
    def stall_cycles(self, value: int) -> None:
        self._st[0] = value

    # -- running -------------------------------------------------------------------------------------

    def run(self, quantum: int, _step: bool = False) -> None:
        """Run up to `quantum` instructions, or until the hart blocks or exits. A quantum does not
        end between lr.w and sc.w (at most RESERVATION_GRACE more): the fast engine never splits
        the basic block holding such a pair, so the harts interleave the same way."""
        cl = self.cluster
        n = self._retired
        end = n + quantum
        get, miss, hist, res, st = self.cache.get, self._miss, self._history, self.reservation, self._st
        grace = 0 if _step else RESERVATION_GRACE
        while self.state is HartState.RUNNING and n < end and not cl.finished and not self.leave:
            if self.sim_csrs.pending_interrupts():
                self._take_interrupt()
            pc = self.pc
            if self.xready_max[0] > n + st[0]:
                pc |= 1
            try:
                while True:
                    while n < end:
                        hist[n & 15] = pc
                        pc = (get(pc) or miss(pc))(n)
                        n += 1
                    if res[0] < 0 or grace <= 0:
                        break
                    end += 1
                    grace -= 1
                self._retired, self.pc = n, pc & ~1
                return
            except Fault as fault:
                self._retired, self.pc = n, pc & ~1
                self._trap(fault, pc & ~1)
                if _step:
                    return
            except Stop as stop:
                n += 1
                self._retired, self.pc = n, stop.pc
            except BaseException:
                self._retired, self.pc = n, pc & ~1
                raise

    def step(self) -> None:
        """Run exactly one instruction, or take a pending interrupt (lockstep, as FastHart.step).
        last_stores: the [(address, size)] of RAM the instruction may write."""
        self.last_stores = []
        if self.sim_csrs.pending_interrupts() and self._take_interrupt():
            return
        self.last_stores = self._store_target(self.pc)
        self.run(1, _step=True)

    def _miss(self, pc: int):
        if pc & 1:
            return self._windowed(pc & ~1)
        fn = self.cache[pc] = translate(self, pc)
        return fn

    def _windowed(self, pc: int):
        """The closure at `pc`, preceded by the integer scoreboard check."""
        fn = self.cache.get(pc) or self._miss(pc)
        info = self._window.get(pc)
        if info is None:
            word = self.cluster.original_word(pc)
            info = self._window[pc] = (int_sources(word), int_destination(word))
        sources, dest = info
        xr, xmax, st = self.xready, self.xready_max, self._st

        def run(n):
            now = n + st[0]
            for r in sources:
                if xr[r] > now:
                    st[0] += xr[r] - now
                    now = xr[r]
            if dest is not None:
                xr[dest] = 0  # overwritten: a later reader no longer waits for the FP result
            nxt = fn(n)
            return nxt | 1 if xmax[0] > n + 1 + st[0] else nxt

        return run

    def flush_code(self) -> None:
        """Forget every decoded instruction (fence.i). The dicts are emptied in place: the run
        loop holds a bound get of `cache`."""
        self.cache.clear()
        self._window.clear()

    def stop_after(self, pc: int, state: HartState | None = None) -> None:
        """Called by the cluster during the access of the instruction at `pc` (an MMIO exit): it
        completes and retires, and the hart leaves its run loop."""
        self._stop_pc = pc + 4
        if state is not None:
            self.state = state

    # -- traps and interrupts ------------------------------------------------------------------------

    def _trap(self, fault: Fault, pc: int) -> None:
        if self.mtvec == 0:
            detail = fault.detail or pv.CAUSE_NAMES.get(fault.cause, f"exception {fault.cause}")
            self.state = HartState.EXITED
            raise ProgramError(self.describe(pc, f"{detail}, and no trap handler is installed (mtvec = 0)"))
        self.enter_trap(fault.cause, pc, fault.tval)
        if self.handoff_mode and not self.ssr.enabled:
            self.leave = True

    def enter_trap(self, cause: int, epc: int, tval: int) -> None:
        self.frep = None  # a trap inside an FREP body cancels the rest of the loop
        self.mstatus = pv.trap_state(self.mstatus, self.priv)
        self.mepc = epc
        self.mcause = cause
        self.mtval = tval & 0xFFFF_FFFF
        self.priv = pv.PRIV_M
        self.pc = pv.trap_target(self.mtvec, cause)

    def interrupts_enabled(self) -> bool:
        return self.priv < pv.PRIV_M or bool(self.mstatus & pv.MSTATUS_MIE)

    def _take_interrupt(self) -> bool:
        """Take the highest pending enabled interrupt (Snitch: MCIP 19), as the fast engine: at
        the start of a run and after a trap or stop. True if taken."""
        pending = self.sim_csrs.pending_interrupts()
        if not pending or not self.interrupts_enabled() or self.mtvec == 0 or self.frep is not None:
            return False  # (an interrupt waits for a running FREP loop to end)
        self.enter_trap(pv.INTERRUPT | (pending.bit_length() - 1), self.pc, 0)
        return True

    # -- reporting -----------------------------------------------------------------------------------

    def read_word(self, address: int) -> int | None:
        try:
            return self.cluster.original_word(address)
        except IndexError:
            return None

    def recent_pcs(self) -> list[int]:
        """The last retired pcs, oldest first."""
        r = self._retired
        return [self._history[(r - k) & (HISTORY - 1)] & ~1 for k in range(min(HISTORY, r), 0, -1)]

    def describe(self, pc: int, what: str) -> str:
        return self.cluster.describe_fault(self, pc, what, self.recent_pcs())

    def arch_state(self) -> dict:
        """Architectural state for lockstep comparison."""
        from . import csrfile

        state = {"pc": self.pc, "priv": self.priv}
        state.update({f"x{i}": self.x[i] for i in range(1, 32)})
        state.update({f"f{i}": self.f[i] for i in range(32)})
        state["fcsr"] = self.frm << 5 | self.fflags
        for name, num in (("mstatus", csrfile.MSTATUS), ("mepc", csrfile.MEPC), ("mcause", csrfile.MCAUSE),
                          ("mtval", csrfile.MTVAL), ("mtvec", csrfile.MTVEC), ("mscratch", csrfile.MSCRATCH)):  # fmt: skip
            state[name] = csrfile.read(self, num, self._retired, self.cycles)
        state["instret"] = self.instret
        return state

    def _store_target(self, pc: int) -> list[tuple[int, int]]:
        from ..isa import IllegalInstruction, decode

        try:
            d = decode(self.cluster.original_word(pc))
        except (IllegalInstruction, IndexError):
            return []
        if d.enc.kind == "store":
            target = ((self.x[d.rs1] + d.imm) & 0xFFFF_FFFF, d.enc.mem)
        elif d.enc.kind == "amo" and d.name != "lr.w":
            target = (self.x[d.rs1], 4)
        else:
            return []
        return [target] if self.cluster.memory.locate(*target) is not None else []  # RAM only
