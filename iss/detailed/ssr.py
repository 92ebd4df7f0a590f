"""Xssr: the stream semantic registers of a compute core (reference/snitch.md section 2).

Three data movers (DM0..DM2) are bound to ft0/ft1/ft2 while bit 0 of CSR 0x7C0 (`ssr`) is set:
an FP instruction reading one of them pops the next element of that mover's read stream, one
writing it pushes an element to its write stream. Elements are 64-bit words of L1 (TCDM) only.

Configuration (scfgri/scfgwi/scfgr/scfgw, address = reg << 5 | dm, dm 31 = all movers) follows
the register map of snitch_ssr_addr_gen.sv:

    0 status   [31] done, [30] write, [29:28] dims - 1, [27] indirect (0), [26:0] pointer
    1 repeat   each read element is delivered repeat + 1 times (4 bits, rpt_width)
    2..5       bounds[0..3]: trip count - 1 of each loop
    6..9       strides[0..3]: byte delta added when that loop advances (masked to 8-byte multiples)
    10..12     idx_cfg, idx_base, idx_isect (indirection: stored, streams not supported)
    24+d       rptr: start a (d+1)-dimensional affine read stream at the written address
    28+d       wptr: start a (d+1)-dimensional affine write stream

Address generation: the pointer starts at the base; after each element the innermost loop that
has not reached its bound advances (the loops inside it wrap to 0) and its stride is added to
the pointer -- strides are deltas, as snrt_ssr_loop_*d computes them.

Shadowing: repeat, bounds and strides are shadow registers. Writing a pointer register launches a
job with a snapshot of them: it becomes the active stream at once when the mover is idle, else it
waits (pending) and becomes active when the running stream has delivered its last element. While a
job is pending, Snitch stalls every further configuration write of that mover until the running
stream ends; here the instructions that would end it come later in program order, so such a write
is reported as the deadlock it is. Reading a register returns the running job's value (the shadow
when idle), as the hardware's read map does.

Simplifications, documented in docs/platform-notes.md: a read stream reads memory when the element
is consumed (the hardware prefetches a few elements), a write stream stores when the element is
produced; repeat applies to read streams only (as in snitch_ssr.sv); writing the status register
with done = 0 and the indirect pointer registers are errors (not supported).
"""

from ..errors import ProgramError

M32 = 0xFFFF_FFFF
M64 = (1 << 64) - 1
NUM_DM = 3
DM_ALL = 31
REG_STATUS, REG_REPEAT, REG_BOUNDS, REG_STRIDES = 0, 1, 2, 6
REG_IDX_CFG, REG_RPTR_INDIR, REG_RPTR, REG_WPTR = 10, 16, 24, 28
REPEAT_MASK = 0xF  # rpt_width: 4 bits
STRIDE_MASK = M32 & ~7  # 64-bit words: strides are multiples of 8 bytes
POINTER_MASK = (1 << 27) - 1  # status bits 26:0


class SsrError(Exception):
    """A stream or configuration access the hardware would hang on or that is not modelled."""


def _addresses(ptr: int, dims: int, bounds: list, strides: list, repeat: int):
    """Every element address of an affine stream, each `repeat + 1` times."""
    idx = [0, 0, 0, 0]
    loops = range(dims + 1)
    copies = range(repeat + 1)
    while True:
        if repeat:
            for _ in copies:
                yield ptr
        else:
            yield ptr
        for k in loops:
            if idx[k] < bounds[k]:
                idx[k] += 1
                ptr = (ptr + strides[k]) & M32
                break
            idx[k] = 0
        else:
            return


class Job:
    """One launched stream: its configuration snapshot and the address of its next element."""

    __slots__ = ("write", "dims", "base", "repeat", "bounds", "strides", "addr", "next_addr")

    def __init__(self, write: bool, dims: int, base: int, repeat: int, bounds: list, strides: list):
        self.write, self.dims, self.base = write, dims, base & M32
        self.repeat, self.bounds, self.strides = repeat, bounds, strides
        self.next_addr = _addresses(self.base, dims, bounds, strides, 0 if write else repeat).__next__
        self.addr = self.next_addr()

    def status(self, done: bool) -> int:
        return (done << 31) | (self.write << 30) | (self.dims << 28) | (self.addr & POINTER_MASK)

    def elements(self) -> int:
        count = 1
        for k in range(self.dims + 1):
            count *= self.bounds[k] + 1
        return count


class DataMover:
    """One SSR lane: shadow configuration, the running job and at most one pending job."""

    def __init__(self, index: int, l1):
        self.index = index
        self.words = l1.u[8]
        self.lo, self.hi = l1.base, l1.end
        self.repeat = 0
        self.bounds = [0, 0, 0, 0]
        self.strides = [0, 0, 0, 0]
        self.indirection = [0, 0, 0]  # idx_cfg, idx_base, idx_isect: stored only
        self.job: Job | None = None
        self.pending: Job | None = None
        self.last: Job | None = None  # the last finished job, for the idle status

    # -- configuration ---------------------------------------------------------------------------

    def read(self, reg: int) -> int:
        job = self.job
        if reg == REG_STATUS:
            if job is not None:
                return job.status(False)
            return self.last.status(True) if self.last is not None else 1 << 31
        if reg == REG_REPEAT:
            return job.repeat if job is not None else self.repeat
        if REG_BOUNDS <= reg < REG_BOUNDS + 4:
            return (job.bounds if job is not None else self.bounds)[reg - REG_BOUNDS]
        if REG_STRIDES <= reg < REG_STRIDES + 4:
            return (job.strides if job is not None else self.strides)[reg - REG_STRIDES]
        if REG_IDX_CFG <= reg < REG_IDX_CFG + 3:
            return self.indirection[reg - REG_IDX_CFG]
        return 0  # the pointer aliases and reserved words read as 0

    def check_writable(self) -> None:
        if self.pending is not None:
            raise SsrError(
                f"configuration write to SSR data mover {self.index} while a stream is already queued behind the "
                f"running one ({self._describe(self.job)} with elements left): Snitch stalls this write until the "
                "running stream ends, which only instructions after it can do (deadlock)"
            )

    def write(self, reg: int, value: int) -> None:
        value &= M32
        if reg == REG_STATUS:
            if not value >> 31:
                raise SsrError(
                    "starting a stream by writing the SSR status register (reg 0) is not supported: "
                    "write the read or write pointer register (24+d, 28+d)"
                )
        elif reg == REG_REPEAT:
            self.repeat = value & REPEAT_MASK
        elif REG_BOUNDS <= reg < REG_BOUNDS + 4:
            self.bounds[reg - REG_BOUNDS] = value
        elif REG_STRIDES <= reg < REG_STRIDES + 4:
            self.strides[reg - REG_STRIDES] = value & STRIDE_MASK
        elif REG_IDX_CFG <= reg < REG_IDX_CFG + 3:
            self.indirection[reg - REG_IDX_CFG] = value
        elif REG_RPTR_INDIR <= reg < REG_RPTR:
            raise SsrError(f"indirect SSR streams (configuration register {reg}) are not supported")
        elif reg >= REG_RPTR:
            job = Job(reg >= REG_WPTR, reg & 3, value, self.repeat, list(self.bounds), list(self.strides))
            if self.job is None:
                self.job = job
            else:
                self.pending = job
        # 13..15: reserved, ignored

    # -- streaming -------------------------------------------------------------------------------

    def _describe(self, job: Job) -> str:
        kind = "write" if job.write else "read"
        return f"the {job.dims + 1}-D {kind} stream of {job.elements()} elements at 0x{job.base:08x}"

    def _address(self, job: Job) -> int:
        a = job.addr
        if self.lo <= a < self.hi and not a & 7:
            return (a - self.lo) >> 3
        what = "not 8-byte aligned" if self.lo <= a < self.hi else f"outside L1 (0x{self.lo:08x}..0x{self.hi - 1:08x})"
        raise SsrError(
            f"SSR data mover {self.index} ({_REG[self.index]}): element address 0x{a:08x} of {self._describe(job)} "
            f"is {what}; streams access L1 (TCDM) only, in 64-bit words"
        )

    def _no_stream(self, write: bool) -> SsrError:
        job = self.job
        kind = "writes" if write else "reads"
        if job is None:
            state = "no stream is running (none configured, or every element was already consumed)"
        else:
            state = f"its stream is {self._describe(job)}"
        return SsrError(f"{kind} {_REG[self.index]} with SSRs enabled, but on data mover {self.index} {state}")

    def peek(self) -> int:
        """The next element of the read stream (not consumed yet)."""
        job = self.job
        if job is None or job.write:
            raise self._no_stream(False)
        return self.words[self._address(job)]

    def advance(self) -> None:
        """Consume the current element; a finished job makes room for the pending one."""
        job = self.job
        try:
            job.addr = job.next_addr()
        except StopIteration:
            self.last = job
            self.job, self.pending = self.pending, None

    def push(self, value: int) -> None:
        job = self.job
        if job is None or not job.write:
            raise self._no_stream(True)
        self.words[self._address(job)] = value & M64
        self.advance()


_REG = ("ft0", "ft1", "ft2")


class SsrUnit:
    """The streamer of one compute core: the enable bit and three data movers."""

    def __init__(self, l1):
        self.enabled = False
        self.movers = tuple(DataMover(i, l1) for i in range(NUM_DM))

    def read_cfg(self, dm: int, reg: int) -> int:
        return self.movers[dm].read(reg) if dm < NUM_DM else 0

    def write_cfg(self, dm: int, reg: int, value: int) -> None:
        if dm == DM_ALL:
            targets = self.movers
        elif dm < NUM_DM:
            targets = (self.movers[dm],)
        else:
            return  # no such data mover: the write selects none (as the streamer does)
        for m in targets:
            m.check_writable()
        for m in targets:
            m.write(reg, value)

    def execute(self, name: str, imm: int, rs1_value: int, rs2_value: int) -> int | None:
        """scfgri/scfgwi/scfgr/scfgw; returns the value for rd (reads) or None (writes).
        The address is reg << 5 | dm (imm, or rs2 for the register forms); the streamer uses
        the low five bits of reg."""
        address = imm if name in ("scfgri", "scfgwi") else rs2_value
        dm, reg = address & 31, (address >> 5) & 31
        if name in ("scfgri", "scfgr"):
            return self.read_cfg(dm, reg)
        self.write_cfg(dm, reg, rs1_value)
        return None

    def unfinished(self) -> list[str]:
        """Streams with elements left (for the end-of-run check)."""
        out = []
        for m in self.movers:
            for job in (m.job, m.pending):
                if job is not None:
                    out.append(f"data mover {m.index}: {m._describe(job)}")
        return out


# -- FP instructions naming ft0..ft2 --------------------------------------------------------------


def stream_operands(d) -> tuple[tuple[int, ...], int | None]:
    """(read-stream registers, write-stream register or None) of the decoded FP instruction `d`
    when SSRs are enabled. A register read twice pops once (one element per instruction and mover,
    as Snitch's streamer and Banshee). FP loads write the register file, not a stream
    (snitch_fp_ss.sv: load results bypass the SSR write port); FP stores read their data operand
    from the stream."""
    enc = d.enc
    srcs = []
    for reg, kind in ((d.rs1, enc.rs1), (d.rs2, enc.rs2), (d.rs3, enc.rs3)):
        if kind == "f" and reg < NUM_DM and reg not in srcs:
            srcs.append(reg)
    dst = d.rd if enc.rd == "f" and d.rd < NUM_DM and enc.kind != "load" else None
    return tuple(srcs), dst


def ssr_wrap(h, d, pc, fn):
    """`fn` (the closure of an FP instruction) made stream-aware when it names ft0..ft2.

    While SSRs are enabled, each stream source is replaced by the next element of its read stream
    for the duration of the instruction (the register file keeps its value, and the scoreboard
    does not track stream registers), and a stream destination's result is pushed to the write
    stream instead of the register file. An element is consumed only if the instruction retires."""
    if not (d.enc.reads_fp or d.enc.writes_fp):
        return fn
    srcs, dst = stream_operands(d)
    if not srcs and dst is None:
        return fn
    unit = h.ssr
    movers = unit.movers
    f, fr = h.f, h.fready
    sources = tuple((r, movers[r]) for r in srcs)
    out = movers[dst] if dst is not None else None

    def fail(exc: SsrError, n: int):
        h._retired = n  # exact counts for the message
        return ProgramError(h.describe(pc, str(exc)))

    def run(n):
        if not unit.enabled:
            return fn(n)
        saved = []
        try:
            for r, m in sources:
                saved.append((r, f[r], fr[r]))
                f[r] = m.peek()
                fr[r] = 0
        except SsrError as exc:
            for r, v, t in saved:
                f[r], fr[r] = v, t
            raise fail(exc, n) from None
        if out is not None:
            keep = f[dst], fr[dst]
        try:
            nxt = fn(n)
        finally:
            for r, v, t in saved:
                f[r], fr[r] = v, t
        for r, m in sources:
            m.advance()
        if out is not None:
            value = f[dst]
            f[dst], fr[dst] = keep
            try:
                out.push(value)
            except SsrError as exc:
                raise fail(exc, n) from None
        return nxt

    return run
