"""The ITA accelerator as a cluster peripheral: HWPE register file, job sequencer, timing.

Registers (PLATFORM.md section 4, reference/ita.md section 7; offsets in iss/memmap.py):
TRIGGER 0x00, ACQUIRE 0x04, FINISHED 0x08, STATUS 0x0C, RUNNING_JOB 0x10, SOFT_CLEAR 0x14, and
the 17 job registers at 0x20 + 4*i (INPUT_PTR ... ACTIVATION_REQUANT). All are 32-bit.

Jobs. One TRIGGER queues one job = one 64x64 output tile over one 64-deep inner tile (the
HWPE testbench's granularity, docs/ita-layouts.md): the job registers are copied into one of
`ita_contexts` job contexts (N_CONTEXT = 4); ACQUIRE returns the id the next job will get, or
-1 while every context holds an unfinished job. The register file itself keeps its values (a
driver rewrites only what changes). Like the RTL controller, the peripheral knows which step a
job is from the layer mode (CTRL_ENGINE[1:0]) and the tile counts (TILES) alone:

  Attention       Q, K (S/64 * P/64 outputs, E/64 inner), V (P/64 * S/64, E/64), then per 64-row
                  query group QK (S/64 outputs, P/64 inner) and AV (P/64, S/64), then OW
                  (S/64 * E/64, P/64);
  Feedforward     F1 (S/64 * F/64, E/64), F2 (S/64 * E/64, F/64);
  Linear          one MatMul step (S/64 * F/64, E/64), requantization set 0, activation;
  SingleAttention per query group QK and AV.

After the last job of the sequence the next job starts a new one (the next head). Inner tiles of
an output tile are consecutive jobs; CTRL_STREAM output_disable must be set on all but the last
(checked). Partial sums stay inside; the last inner job adds the bias (unless bias_disable;
per output row with bias_direction, as V needs), requantizes with the step's set, applies the
activation (F1 and Linear) and writes the 4 KiB output tile. QK output tiles of a query group
are taken to be its key columns in order: the streaming softmax state (max, sum) of the group
is kept, and during AV each input tile of logits is normalized on the fly to uint8. All
numerics are the golden model's (iss/ita: matmul_requant, itamax_denominator/_normalize).
ITA reads and writes L1 only.

Timing (ItaTiming; reference/ita.md section 9), a job triggered at the triggering hart's local
time t starts at max(t, end of the previous job) and takes
    job_setup + weight_fill + bias_fill + 256 + pipeline_latency + softmax_stall
  - 256 = M*M/N compute cycles of the 64x64x64 block (ita_controller.sv);
  - weight_fill = 8 (the first 16 weight rows, 1 KiB = 8 beats of the 1024-bit port) unless
    the previous job prefetched them (CTRL_STREAM weight_nextload with WEIGHT_PTR1 equal to this
    job's WEIGHT_PTR0) and this job does not set weight_preload; the rest of the weights, the
    input (4 KiB read 4 times) and the output stream during compute: 128 + 32 + 2 + 32 beats of
    the shared port per 256 cycles, so they never stall the datapath in this model;
  - bias_fill = 2 beats, when the job writes its output with a bias;
  - pipeline_latency = 7 (Latency of ita_package.sv), from the last MAC to the last output;
  - softmax_stall, first AV job of a query group: the 64 row denominators are divided by
    10 serial dividers of `divider_latency` cycles each (20-bit serial division: one quotient
    bit per cycle, an assumption), fed one row per cycle as the last QK pass streams out; the
    first AV pass needs row r at its cycle r; the stall is the worst lateness, 0 once the gap
    between the QK and AV jobs covers it;
  - job_setup = 4 cycles from TRIGGER to the first request (a modelling choice, not sourced).
Busy cycles are the sum of job cycles (jobs run one at a time); MAC utilisation = MACs /
(busy cycles * 1024). FINISHED, STATUS, ACQUIRE and RUNNING_JOB are evaluated at the reading
hart's local time; completion is a cluster event (wakes `wfi`).

Inputs are read and the output written when the job is triggered (deterministic; what any
program that waits sees). Strict mode registers the output as pending until the job's end and
its input, weights and bias as sources (iss/strict.py), and rejects a job whose operands are
still pending at its start.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from .. import memmap as mm
from ..errors import ProgramError
from ..events import local_time
from .activation import Activation, ActivationParams, GeluConstants
from .golden import matmul_requant
from .layout import unpack_bias24
from .requant import Requant
from .softmax import SoftmaxVariant, itamax_denominator, itamax_normalize

TILE = 64
TILE_BYTES = TILE * TILE
BIAS_BYTES = 3 * TILE
PREFETCH_BYTES = 16 * TILE  # weight_nextload: the first 16 rows of the next weight tile
MACS_PER_JOB = TILE**3
MACS_PER_CYCLE = 1024  # 16 dot-product units x 64 lanes

REG = {name: i for i, name in enumerate(mm.ITA_JOB_REG_NAMES)}

# CTRL_STREAM bits (reference/ita.md section 7.2)
WEIGHT_PRELOAD, WEIGHT_NEXTLOAD, BIAS_DISABLE, BIAS_DIRECTION, OUTPUT_DISABLE = (1 << i for i in range(5))


class Mode(IntEnum):
    """layer_e, CTRL_ENGINE[1:0]."""

    ATTENTION = 0
    FEEDFORWARD = 1
    LINEAR = 2
    SINGLE_ATTENTION = 3


class ItaStep(IntEnum):
    """step_e of the RTL (STATUS[11:8] shows the step of the next job)."""

    IDLE = 0
    Q = 1
    K = 2
    V = 3
    QK = 4
    AV = 5
    OW = 6
    F1 = 7
    F2 = 8
    MATMUL = 9


# requantization set of each step (ita_requantization_controller.sv; MatMul: default branch, 0)
RQ_INDEX = {ItaStep.Q: 0, ItaStep.K: 1, ItaStep.V: 2, ItaStep.QK: 3, ItaStep.AV: 4, ItaStep.OW: 5,
            ItaStep.F1: 6, ItaStep.F2: 7, ItaStep.MATMUL: 0}  # fmt: skip


@dataclass(frozen=True)
class ItaTiming:
    block_cycles: int = 256
    job_setup: int = 4
    weight_fill: int = 8
    bias_fill: int = 2
    pipeline_latency: int = 7
    dividers: int = 10
    divider_latency: int = 20

    def softmax_stall(self, qk_end: int, av_start: int) -> int:
        """Cycles the first AV pass waits for the row inverses (see the module docstring)."""
        t0 = qk_end - self.pipeline_latency - TILE
        done: list[int] = []
        worst = 0
        for r in range(TILE):
            begin = t0 + r + 1
            if r >= self.dividers:
                begin = max(begin, done[r - self.dividers])
            done.append(begin + self.divider_latency)
            worst = max(worst, done[-1] - (av_start + r))
        return worst


def phases(mode: Mode, ts: int, te: int, tp: int, tf: int) -> list[tuple[ItaStep, int, int]]:
    """(step, output tiles, inner tiles) of one job sequence."""
    group = [(ItaStep.QK, ts, tp), (ItaStep.AV, tp, ts)]
    if mode == Mode.ATTENTION:
        qkv = [(ItaStep.Q, ts * tp, te), (ItaStep.K, ts * tp, te), (ItaStep.V, tp * ts, te)]
        return qkv + group * ts + [(ItaStep.OW, ts * te, tp)]
    if mode == Mode.FEEDFORWARD:
        return [(ItaStep.F1, ts * tf, te), (ItaStep.F2, ts * te, tf)]
    if mode == Mode.LINEAR:
        return [(ItaStep.MATMUL, ts * tf, te)]
    return group * ts


@dataclass(frozen=True)
class JobRecord:
    job: int  # id (since reset or SOFT_CLEAR)
    step: ItaStep
    trigger: int  # the triggering hart's local time at TRIGGER
    begin: int
    end: int
    weight_fill: int
    bias: bool
    softmax_stall: int


@dataclass
class Sequence:
    key: tuple  # (mode, ts, te, tp, tf)
    phases: list
    phase: int = 0
    output: int = 0
    inner: int = 0

    @property
    def step(self) -> ItaStep:
        return self.phases[self.phase][0]


def _error(hart, pc: int, text: str):
    raise ProgramError(hart.describe(pc, text))


def _s8(v: int) -> int:
    return ((v & 0xFF) ^ 0x80) - 0x80


def _s16(v: int) -> int:
    return ((v & 0xFFFF) ^ 0x8000) - 0x8000


class ItaPeripheral:
    def __init__(self, cluster):
        cfg = cluster.config
        self.cluster = cluster
        self.timing: ItaTiming = getattr(cfg, "ita_timing", None) or ItaTiming()
        self.variant = SoftmaxVariant(getattr(cfg, "ita_softmax", SoftmaxVariant.ITA_PAPER.value))
        self.contexts = getattr(cfg, "ita_contexts", 4)
        self.regs = [0] * len(mm.ITA_JOB_REG_NAMES)
        # statistics (whole run, across SOFT_CLEAR)
        self.jobs = 0
        self.busy_cycles = 0
        self.macs = 0
        self.log: list[JobRecord] = []  # every job of the run, for reports and tests
        self.last_end = 0
        self._reset()

    def _reset(self) -> None:
        self.starts: list[int] = []  # per job id (since reset / SOFT_CLEAR)
        self.ends: list[int] = []  # non-decreasing
        self.seq: Sequence | None = None
        self.acc_x: list[np.ndarray] = []
        self.acc_w: list[np.ndarray] = []
        self.logits: np.ndarray | None = None  # the current query group's QK output, 64 x S
        self.denominator = None  # (max, inv) per row of the query group
        self.qk_end = 0
        self.prefetched: int | None = None  # WEIGHT_PTR1 of the previous job, if it had nextload

    # -- registers ----------------------------------------------------------------------------------

    def _check(self, hart, offset: int, size: int, pc: int, write: bool) -> None:
        if size != 4 or offset & 3 or offset >= mm.ITA_JOB_REGS + 4 * len(self.regs) or 0x18 <= offset < mm.ITA_JOB_REGS:
            kind = "write to" if write else "read of"
            raise ProgramError(hart.describe(pc, f"{kind} 0x{mm.ITA_BASE + offset:08x} ({size} B): not an ITA register"))

    def read(self, hart, offset: int, size: int, pc: int) -> int:
        self._check(hart, offset, size, pc, False)
        if offset >= mm.ITA_JOB_REGS:
            return self.regs[(offset - mm.ITA_JOB_REGS) >> 2]
        now = local_time(hart, pc)
        if offset == mm.ITA_ACQUIRE:
            return len(self.ends) if self._unfinished(now) < self.contexts else 0xFFFF_FFFF
        if offset == mm.ITA_FINISHED:
            return self._finished(now)
        if offset == mm.ITA_STATUS:
            busy = int(self.last_end > now)
            if not busy:
                self._finished(now)  # observes every job
            step = self.seq.step if self.seq is not None else ItaStep.IDLE
            return busy | (int(step) << 8)
        if offset == mm.ITA_RUNNING_JOB:
            i = bisect_right(self.ends, now)
            return i if i < len(self.ends) and self.starts[i] <= now else 0xFFFF_FFFF
        return 0  # TRIGGER, SOFT_CLEAR read as 0

    def write(self, hart, offset: int, size: int, value: int, pc: int) -> None:
        self._check(hart, offset, size, pc, True)
        if offset >= mm.ITA_JOB_REGS:
            self.regs[(offset - mm.ITA_JOB_REGS) >> 2] = value & 0xFFFF_FFFF
        elif offset == mm.ITA_TRIGGER:
            self.trigger(hart, pc, local_time(hart, pc))
        elif offset == mm.ITA_SOFT_CLEAR:
            now = local_time(hart, pc)
            if self.last_end > now:
                _error(hart, pc, f"ITA SOFT_CLEAR at cycle {now} while job {len(self.ends) - 1} runs until cycle {self.last_end}")
            if self.cluster.guard.enabled:
                self.cluster.guard.observe("ITA", 1 << 62)
            self._reset()
        else:
            names = {mm.ITA_ACQUIRE: "ACQUIRE", mm.ITA_FINISHED: "FINISHED", mm.ITA_STATUS: "STATUS", mm.ITA_RUNNING_JOB: "RUNNING_JOB"}
            _error(hart, pc, f"ITA register {names[offset]} is read-only")

    def _unfinished(self, now: int) -> int:
        return len(self.ends) - bisect_right(self.ends, now)

    def _finished(self, now: int) -> int:
        n = bisect_right(self.ends, now)
        if n and self.cluster.guard.enabled:
            self.cluster.guard.observe("ITA", n - 1)
        return n

    # -- a job --------------------------------------------------------------------------------------

    def trigger(self, hart, pc: int, now: int) -> None:
        r = self.regs
        job = len(self.ends)
        cl, t = self.cluster, self.timing
        if self._unfinished(now) >= self.contexts:
            _error(hart, pc, f"ITA TRIGGER at cycle {now} with all {self.contexts} job contexts busy: "
                             "read ACQUIRE until it is not negative first")  # fmt: skip
        ctrl, stream = r[REG["CTRL_ENGINE"]], r[REG["CTRL_STREAM"]]
        tiles = r[REG["TILES"]]
        ts, te, tp, tf = ((tiles >> (4 * i) & 0xF) or 1 for i in range(4))
        key = (Mode(ctrl & 3), ts, te, tp, tf)
        seq = self.seq
        if seq is None:
            seq = self.seq = Sequence(key, phases(*key))
        elif seq.key != key:
            _error(hart, pc, f"ITA job {job}: CTRL_ENGINE/TILES changed in the middle of a {seq.key[0].name} "
                             f"sequence ({self._where(seq)}); write SOFT_CLEAR first")  # fmt: skip
        step, n_out, n_inner = seq.phases[seq.phase]
        where = f"ITA job {job} ({self._where(seq)})"
        last_inner = seq.inner == n_inner - 1
        output = not stream & OUTPUT_DISABLE
        if output != last_inner:
            want = "clear" if last_inner else "set"
            _error(hart, pc, f"{where}: CTRL_STREAM output_disable must be {want} "
                             f"(output only on the last of {n_inner} inner tiles)")  # fmt: skip
        nextload, use_bias = bool(stream & WEIGHT_NEXTLOAD), output and not stream & BIAS_DISABLE
        ptrs = {"INPUT_PTR": (r[REG["INPUT_PTR"]], TILE_BYTES), "WEIGHT_PTR0": (r[REG["WEIGHT_PTR0"]], TILE_BYTES)}
        if nextload:
            ptrs["WEIGHT_PTR1"] = (r[REG["WEIGHT_PTR1"]], PREFETCH_BYTES)
        if use_bias:
            ptrs["BIAS_PTR"] = (r[REG["BIAS_PTR"]], BIAS_BYTES)
        if output:
            ptrs["OUTPUT_PTR"] = (r[REG["OUTPUT_PTR"]], TILE_BYTES)
        l1 = cl.memory.l1
        for name, (a, n) in ptrs.items():
            if not (mm.L1_BASE <= a and a + n <= mm.L1_BASE + l1.size):
                _error(hart, pc, f"{where}: {name} 0x{a:08x}..0x{a + n:08x} is not inside L1 (ITA reads and writes L1 only)")

        # -- timing
        begin = max(now, self.last_end)
        w0 = r[REG["WEIGHT_PTR0"]]
        if not stream & WEIGHT_PRELOAD and self.prefetched == w0:
            fill = 0
        else:
            if not stream & WEIGHT_PRELOAD and cl.guard.enabled:
                pre = self.prefetched
                prev = "did not set weight_nextload" if pre is None else f"prefetched WEIGHT_PTR1 0x{pre:08x}"
                _error(hart, pc, f"strict mode: {where}: weight_preload is clear but the previous job {prev}, "
                                 f"not this job's WEIGHT_PTR0 0x{w0:08x}")  # fmt: skip
            fill = t.weight_fill
        stall = 0
        if step == ItaStep.AV and seq.output == 0 and seq.inner == 0:
            stall = t.softmax_stall(self.qk_end, begin + t.job_setup + fill)
        cycles = t.job_setup + fill + (t.bias_fill if use_bias else 0) + t.block_cycles + t.pipeline_latency + stall
        end = begin + cycles

        # -- strict mode: operands still pending at the start, then what this job uses
        what = f"ITA job {job} ({self._where(seq)}, triggered by hart {hart.hart_id} at pc 0x{pc:08x} at cycle {now})"
        guard = cl.guard
        if guard.enabled:
            reads = [v for k, v in ptrs.items() if k != "OUTPUT_PTR"]
            writes = [ptrs["OUTPUT_PTR"]] if output else []
            guard.check_engine("ITA", f"ITA job {job} ({self._where(seq)})", reads, writes, begin, hart, pc)

        # -- numerics
        x = self._tile(r[REG["INPUT_PTR"]])
        if step == ItaStep.AV:
            gmax, inv = self.denominator
            x = itamax_normalize(x, gmax, inv, self.variant)
        self.acc_x.append(x)
        self.acc_w.append(self._tile(w0))
        if output:
            bias = unpack_bias24(self._bytes(r[REG["BIAS_PTR"]], BIAS_BYTES)) if use_bias else None
            act = self._activation(hart, pc, where) if step in (ItaStep.F1, ItaStep.MATMUL) else None
            y = matmul_requant(
                np.hstack(self.acc_x), np.hstack(self.acc_w), bias, self._requant(RQ_INDEX[step]), act,
                bias_rows=bool(stream & BIAS_DIRECTION),
            )  # fmt: skip
            self.acc_x, self.acc_w = [], []
            out = r[REG["OUTPUT_PTR"]]
            l1[out - mm.L1_BASE : out - mm.L1_BASE + TILE_BYTES] = np.asarray(y, dtype=np.int8).view(np.uint8).ravel()
            if step == ItaStep.QK:
                if seq.output == 0:
                    self.logits = np.zeros((TILE, TILE * n_out), dtype=np.int64)
                self.logits[:, TILE * seq.output : TILE * (seq.output + 1)] = y

        # -- advance the sequence
        seq.inner += 1
        if seq.inner == n_inner:
            seq.inner = 0
            seq.output += 1
            if seq.output == n_out:
                seq.output = 0
                seq.phase += 1
                if step == ItaStep.QK:
                    self.denominator = itamax_denominator(self.logits, self.variant)
                    self.qk_end = end
                if seq.phase == len(seq.phases):
                    self.seq = None
        self.prefetched = r[REG["WEIGHT_PTR1"]] if nextload else None

        if guard.enabled:
            from ..strict import rows

            if output:
                guard.add("ITA", job, [rows(ptrs["OUTPUT_PTR"][0], TILE_BYTES, 0, 1)], False, end, what, hart, now)
            srcs = [rows(a, n, 0, 1) for k, (a, n) in ptrs.items() if k != "OUTPUT_PTR"]
            guard.add("ITA", job, srcs, True, end, what, hart, now)
        self.log.append(JobRecord(job, step, now, begin, end, fill, use_bias, stall))
        self.starts.append(begin)
        self.ends.append(end)
        self.last_end = end
        self.jobs += 1
        self.busy_cycles += cycles
        self.macs += MACS_PER_JOB
        cl.events.post(end, hart, now)

    # -- helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _where(seq: Sequence) -> str:
        step, n_out, n_inner = seq.phases[seq.phase]
        return f"step {step.name}, output tile {seq.output + 1} of {n_out}, inner tile {seq.inner + 1} of {n_inner}"

    def _bytes(self, a: int, n: int) -> bytes:
        off = a - mm.L1_BASE
        return self.cluster.memory.l1[off : off + n].tobytes()

    def _tile(self, a: int) -> np.ndarray:
        off = a - mm.L1_BASE
        return self.cluster.memory.l1[off : off + TILE_BYTES].view(np.int8).reshape(TILE, TILE).astype(np.int64)

    def _requant(self, i: int) -> Requant:
        r, half, byte = self.regs, i // 4, 8 * (i % 4)
        return Requant(
            eps_mult=r[REG[f"EPS_MULT{half}"]] >> byte & 0xFF,
            right_shift=r[REG[f"RIGHT_SHIFT{half}"]] >> byte & 0xFF,
            add=_s8(r[REG[f"ADD{half}"]] >> byte),
        )

    def _activation(self, hart, pc: int, where: str) -> ActivationParams | None:
        kind = self.regs[REG["CTRL_ENGINE"]] >> 2 & 3
        if kind == 3:
            _error(hart, pc, f"{where}: CTRL_ENGINE activation 3 is not Identity (0), GELU (1) or ReLU (2)")
        if kind == Activation.IDENTITY:
            return None
        g, a = self.regs[REG["GELU_B_C"]], self.regs[REG["ACTIVATION_REQUANT"]]
        return ActivationParams(
            kind=Activation(kind),
            gelu=GeluConstants(b=_s16(g), c=_s16(g >> 16)),
            rq=Requant(eps_mult=a & 0xFF, right_shift=a >> 8 & 0xFF, add=_s8(a >> 16)),
        )

    # -- report ----------------------------------------------------------------------------------------

    @property
    def utilisation(self) -> float:
        return self.macs / (self.busy_cycles * MACS_PER_CYCLE) if self.busy_cycles else 0.0
