"""The cluster: memory, peripherals, harts and the deterministic scheduler that runs them."""

import time

from . import memmap as mm
from .config import ClusterConfig
from .dma import DmaEngine, DmaFrontend
from .elf import Program, load_program
from .errors import DeadlockError, LimitError, ProgramError
from .events import ClusterEvents
from .hart import HartState
from .ita.peripheral import ItaPeripheral
from .memory import Memory
from .output import HartOutput
from .peripherals import ClusterPeripherals
from .tcdm import TcdmBanks
from .report import DmaReport, HartReport, ItaReport, RunReport
from .strict import Guard

# Upper bound of a translated block's length in instructions (QEMU's TCG_MAX_INSNS).
_MAX_BLOCK = 512

FAST_TIMING = (
    "1 cycle per instruction plus barrier and wfi waits; no latencies of PLATFORM.md section 6, "
    "except in SSR/FREP code, which the detailed engine runs"
)


class Cluster:
    def __init__(self, program: Program | str, config: ClusterConfig | None = None, sink=None, trace=None):
        """`trace`: None, or (directory, filter text) to write trace logs (tracing.py); tracing
        runs every hart on the detailed engine."""
        from .fast.hart import FastHart
        from .fast.patch import patch_system_instructions

        self.config = config or ClusterConfig()
        self.program = program if isinstance(program, Program) else load_program(program)
        self.memory = Memory(self.config)
        self.memory.load(self.program)
        self.originals = patch_system_instructions(self.memory, self.program)
        self.tohost = self.program.symbols.get("tohost")
        in_l2 = self.tohost is not None and mm.L2_BASE <= self.tohost < mm.L2_BASE + self.config.l2_bytes
        self.tohost_page = self.tohost & ~(mm.PAGE - 1) if in_l2 else None
        self.output = HartOutput(sink)
        self.peripherals = ClusterPeripherals(self)
        self.tcdm = TcdmBanks(self)  # L1 bank arbitration (detailed engine timing)
        # DMA and ITA (iss/dma.py, iss/ita/peripheral.py), strict-mode registry (iss/strict.py)
        self.guard = Guard(self)
        self.dma = DmaEngine(self)
        self.dma_frontend = DmaFrontend(self)
        self.ita = ItaPeripheral(self)
        self.finished = False
        self.exit_code: int | None = None
        self.traces = None
        if trace is not None:
            from .trace import TraceFilter
            from .tracing import TraceSet

            directory, filter_text = trace
            self.traces = TraceSet(directory, self.config.num_harts, TraceFilter.parse(filter_text, self.program))
        if self.config.engine == "detailed" or self.traces is not None:
            from .detailed import DetailedHart as hart_class
        else:
            hart_class = FastHart
        self.harts = [hart_class(i, self, self.program.entry) for i in range(self.config.num_harts)]
        self.events = ClusterEvents(self)  # DMA/ITA completion events for wfi (iss/events.py)
        self.wall_seconds = 0.0

    # -- services for the harts ----------------------------------------------------------

    def original_word(self, address: int) -> int:
        word = self.originals.get(address)
        return word if word is not None else self.memory.read_u32(address)

    def barrier_arrive(self, hart) -> None:
        hart.barrier_arrival = hart.cycles
        waiting = [h for h in self.harts if h.state is HartState.BARRIER]
        if len(waiting) == len(self.harts):
            release = max(h.barrier_arrival for h in waiting)
            for h in waiting:
                h.advance_to(release)
                h.state = HartState.RUNNING

    def set_cluster_irq(self, source, mask: int) -> None:
        for h in self.harts:
            if mask >> h.hart_id & 1:
                h.sim_csrs.mip |= mm.MIP_MCIP
                if h.state is HartState.WFI and h.sim_csrs.pending_interrupts():
                    h.advance_to(source.cycles)
                    h.state = HartState.RUNNING

    def clear_cluster_irq(self, mask: int) -> None:
        for h in self.harts:
            if mask >> h.hart_id & 1:
                h.sim_csrs.mip &= ~mm.MIP_MCIP

    def exit(self, hart, code: int, pc: int) -> None:
        hart.stop_after(pc, HartState.EXITED)
        if not self.finished:
            self.finished = True
            self.exit_code = code

    def tohost_written(self, hart, address: int, value: int, pc: int) -> None:
        if address != self.tohost:
            return  # the upper word of a 64-bit tohost, or fromhost
        if value & 1:
            self.exit(hart, value >> 1, pc)
        elif value:
            raise ProgramError(hart.describe(pc, f"tohost syscall 0x{value:08x} is not supported (only exit)"))

    def describe_fault(self, hart, pc: int, what: str, recent: list[int]) -> str:
        from .disasm import describe_instruction

        where = self.program.symbol_at(pc)
        word = self._word_or_none(pc)
        insn = describe_instruction(word, pc) if word is not None else "<no instruction memory>"
        text = f"hart {hart.hart_id}, pc 0x{pc:08x}{f' ({where})' if where else ''}: {insn}: {what}"
        if recent:
            last = "; ".join(describe_instruction(self._word_or_none(p), p) for p in recent[-8:])
            text += f" [last instructions: {last}]"
        return text

    def read_symbol(self, name: str, size: int | None = None) -> bytes:
        """Bytes of the ELF symbol `name` in simulated memory (its ELF size by default)."""
        if name not in self.program.symbols:
            raise KeyError(f"{self.program.path}: no symbol {name!r}")
        address = self.program.symbols[name]
        return self.memory.read(address, size if size is not None else self.program.symbol_sizes[name])

    def _word_or_none(self, address: int) -> int | None:
        try:
            return self.original_word(address)
        except IndexError:
            return None

    # -- scheduler ---------------------------------------------------------------------------

    def run(self) -> RunReport:
        cfg = self.config
        start = time.perf_counter()
        try:
            while not self.finished:
                progressed = False
                for hart in self.harts:
                    if hart.state is HartState.RUNNING:
                        self._run_hart(hart)
                        progressed = True
                    if self.finished:
                        break
                if self.finished:
                    break
                if self.harts[0].state is HartState.EXITED:
                    break
                if not progressed:
                    raise DeadlockError(self._deadlock_message())
                self._check_limits(start)
        finally:
            self.wall_seconds = time.perf_counter() - start
            self.output.flush()
            if self.traces is not None:
                self.traces.close()
        return self.report()

    def _run_hart(self, hart) -> None:
        """One quantum of `hart`, cut short at --max-cycles so that the limit holds to within
        about one translated block: a block that crosses it still runs (the program may end in
        it). The quantum, and so the interleaving of harts, changes only next to the limit."""
        cfg = self.config
        left = cfg.max_cycles - hart.cycles if cfg.max_cycles is not None else cfg.quantum
        if left >= cfg.quantum:
            self._advance(hart, cfg.quantum)
            return
        if left <= 0:
            raise LimitError(self._max_cycles_message())
        before = hart.cycles
        self._advance(hart, left)
        extra = 1
        while hart.cycles == before and hart.state is HartState.RUNNING and not self.finished and extra <= _MAX_BLOCK:
            # The next block crosses the limit (a quantum ends before such a block): run it,
            # the program may end inside it; _check_limits stops the run otherwise.
            self._advance(hart, left + extra)
            extra *= 2

    def _advance(self, hart, instructions: int) -> None:
        if self.traces is None:
            hart.run(instructions)
        else:
            from .tracing import run_traced

            run_traced(hart, instructions, self.traces.writers[hart.hart_id])

    def _max_cycles_message(self) -> str:
        now = max(h.cycles for h in self.harts)
        return f"--max-cycles {self.config.max_cycles} reached at cycle {now}: {self._where()}"

    def _check_limits(self, start: float) -> None:
        cfg = self.config
        now = max(h.cycles for h in self.harts)
        if cfg.max_cycles is not None and now >= cfg.max_cycles:
            raise LimitError(self._max_cycles_message())
        if cfg.timeout_s is not None and time.perf_counter() - start >= cfg.timeout_s:
            raise LimitError(f"--timeout {cfg.timeout_s:g} s reached at cycle {now}: {self._where()}")

    def _where(self) -> str:
        parts = []
        for h in self.harts:
            if h.state is HartState.EXITED:
                continue
            if h.state in (HartState.BARRIER, HartState.WFI):
                parts.append(f"hart {h.hart_id} at pc 0x{h.wait_pc:08x} ({h.state.value})")
            else:
                parts.append(f"hart {h.hart_id} at pc 0x{h.pc:08x}")
        return ", ".join(parts)

    def _deadlock_message(self) -> str:
        parts = []
        for h in self.harts:
            if h.state is HartState.BARRIER:
                parts.append(f"hart {h.hart_id} waits at the barrier (pc 0x{h.wait_pc:08x})")
            elif h.state is HartState.WFI:
                parts.append(f"hart {h.hart_id} sleeps in wfi with no interrupt to wake it (pc 0x{h.wait_pc:08x})")
            elif h.state is HartState.EXITED:
                parts.append(f"hart {h.hart_id} has exited")
        return "deadlock: every hart is blocked forever: " + "; ".join(parts)

    def report(self) -> RunReport:
        cfg = self.config
        harts = [
            HartReport(
                h.hart_id, "dma" if h.hart_id == cfg.cores else "core", h.instret, h.stall_cycles, h.cycles, h.state.value,
                handoff_instructions=h.handoff.instructions if getattr(h, "handoff", None) is not None else 0,
            )
            for h in self.harts
        ]
        return RunReport(
            program=str(self.program.path),
            engine="detailed (tracing)" if self.traces is not None else self.config.engine,
            timing_model=getattr(self.harts[0], "timing_model", FAST_TIMING),
            exit_code=self.exit_code if self.exit_code is not None else 0,
            cycles=max(h.cycles for h in harts),
            instructions=sum(h.instructions for h in harts),
            handoff_instructions=sum(h.handoff_instructions for h in harts),
            harts=harts,
            freq_mhz=cfg.freq_mhz,
            wall_seconds=self.wall_seconds,
            ita=ItaReport(self.ita.jobs, self.ita.busy_cycles, self.ita.macs, self.ita.utilisation),
            dma=DmaReport(self.dma.transfers, self.dma.bytes, self.dma.busy_cycles),
        )
