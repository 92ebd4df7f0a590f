"""Xfrep: the FPU sequencer of a compute core (reference/snitch.md section 1).

`frep.o rs1, N, stagger_max, stagger_mask` (bit 7 = 1) repeats the block of the next N = max_inst+1
instructions rs1[15:0]+1 times; `frep.i` (bit 7 = 0, old Snitch) repeats each of them rs1+1 times
before moving on to the next. Staggering: a counter 0..stagger_max is added (5-bit wrap) to the
register fields selected by stagger_mask (bit 0 rd, 1 rs1, 2 rs2, 3 rs3); it advances once per
iteration (frep.o) or once per issue (frep.i), as snitch_sequencer.sv does. Only fields naming FP
registers are staggered: the integer address operand of an FP load/store is read by the integer
core before the instruction reaches the sequencer, so staggering its field changes nothing.

Model: the frep instruction retires and arms the sequencer (hart.frep = a step closure); each
issue of a body instruction is one retired instruction, one cycle plus the FP scoreboard's
stalls (so staggering hides the FPU latency, as on Snitch). The integer core waits until the
last issue: instructions after the body start when the loop is over. The body is the next N
instructions in memory; every one must be a buffered FP-subsystem instruction (F/D arithmetic,
sign injection, min/max, conversions between FP formats, FP loads and stores). Integer
instructions, FP<->integer moves, compares, classify, conversions to/from integers (the
sequencer's "Direct" path), CSR accesses and a nested frep make the frep an illegal instruction
with a message naming the offending body instruction. A trap inside the body cancels the rest
of the loop. Limits: N <= 32 (the sequencer buffer of the default configuration), no nesting,
no stream-controlled FREP (bit 31).
"""

from ..disasm import describe_instruction
from ..isa import IllegalInstruction, decode
from .common import Fault, Stop, illegal

BUFFER_DEPTH = 32  # num_sequencer_instructions of the default snitch_cluster configuration
REPEAT_MASK = 0xFFFF  # LoopIterBits = 16
_STAGGER_FIELDS = ((0, 7, "rd"), (1, 15, "rs1"), (2, 20, "rs2"), (3, 27, "rs3"))


def staggered(word: int, enc, mask: int, offset: int) -> int:
    """`word` with `offset` added (mod 32) to the FP register fields selected by `mask`."""
    for bit, shift, field in _STAGGER_FIELDS:
        if mask >> bit & 1 and getattr(enc, field) == "f":
            reg = (word >> shift) & 31
            word = (word & ~(31 << shift)) | (((reg + offset) & 31) << shift)
    return word


def body_problem(d) -> str | None:
    """Why the decoded instruction `d` cannot be in an FREP body, or None if it can."""
    enc = d.enc
    if enc.ext == "Xfrep":
        return "is an FREP: nested FREP loops are not supported"
    if enc.ext not in ("F", "D"):
        return (
            "is not an FP instruction: only FP-subsystem instructions are repeated, "
            "integer ones may not be in an FREP body"
        )
    if enc.rd == "x" or (enc.rs1 == "x" and enc.kind not in ("load", "store")):
        return (
            "moves a value between the integer and the FP register file, which bypasses the FREP buffer "
            "(not allowed in an FREP body)"
        )
    return None


def _raiser(fault: Fault):
    def run(n):
        raise fault

    return run


def frep_builder(h, d, pc):
    from .translate import build, fetch  # here: translate imports this module's users

    name = d.name
    if h.ssr is None:
        return _raiser(illegal(d, f"illegal instruction ({name}: Xfrep exists on the compute cores only, not on the DMA core)"))
    if d.word >> 31:
        return _raiser(illegal(d, f"illegal instruction ({name}: stream-controlled FREP (bit 31) is not supported)"))
    outer = name == "frep.o"
    length = d.imm + 1
    if length > BUFFER_DEPTH:
        detail = f"a body of {length} instructions exceeds the {BUFFER_DEPTH}-entry FREP buffer"
        return _raiser(illegal(d, f"illegal instruction ({name}: {detail})"))
    smax, mask = d.stagger_max, d.stagger_mask
    start, end = pc + 4, pc + 4 + 4 * length
    rows = [[None] * length for _ in range(smax + 1)]
    wrappers = {}
    for k in range(length):
        bpc = start + 4 * k
        where = f"{name} body instruction {k + 1} of {length} at 0x{bpc:08x}"
        try:
            word = fetch(h, bpc)
            bd = decode(word)
        except Fault as fault:
            return _raiser(illegal(d, f"illegal instruction ({where}: {fault.detail})"))
        except IllegalInstruction as exc:
            return _raiser(illegal(d, f"illegal instruction ({where} is not a valid instruction: {exc.reason})"))
        problem = body_problem(bd)
        if problem:
            return _raiser(illegal(d, f"illegal instruction ({where}, {describe_instruction(word, bpc)}, {problem})"))
        plain = build(h, bd, bpc)
        rows[0][k] = plain
        for s in range(1, smax + 1):
            rows[s][k] = build(h, decode(staggered(word, bd.enc, mask, s)), bpc)
        wrappers[bpc] = _body_entry(h, plain)
    table = tuple(tuple(r) for r in rows)
    x, rs1, cache, unit = h.x, d.rs1, h.cache, h.ssr

    def finish():
        h.frep = None
        if h.handoff_mode and not unit.enabled:
            h.leave = True  # a hand-off instance returns the hart to the fast engine here
            raise Stop(end)
        return end

    make = _outer if outer else _inner

    def run(n):
        cache.update(wrappers)
        h.frep = make(table, length, smax, x[rs1] & REPEAT_MASK, start, finish)
        return start

    return run


def _body_entry(h, plain):
    """The closure cached at a body pc: the sequencer's next issue while the loop runs, the plain
    instruction otherwise (code that reaches it without the frep)."""

    def run(n):
        step = h.frep
        if step is None:
            return plain(n)
        return step(n)

    return run


def _outer(rows, length, smax, max_rpt, start, finish):
    """frep.o: the block issued max_rpt + 1 times, stagger advancing per iteration."""
    row, i, it, s = rows[0], 0, 0, 0

    def step(n):
        nonlocal row, i, it, s
        row[i](n)
        i += 1
        if i < length:
            return start + 4 * i
        i = 0
        if it < max_rpt:
            it += 1
            s = s + 1 if s < smax else 0
            row = rows[s]
            return start
        return finish()

    return step


def _inner(rows, length, smax, max_rpt, start, finish):
    """frep.i: each instruction issued max_rpt + 1 times in turn, stagger advancing per issue."""
    i, r, s = 0, 0, 0

    def step(n):
        nonlocal i, r, s
        rows[s][i](n)
        s = s + 1 if s < smax else 0
        if r < max_rpt:
            r += 1
            return start + 4 * i
        r = 0
        i += 1
        if i < length:
            return start + 4 * i
        return finish()

    return step

