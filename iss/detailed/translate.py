"""From a pc to the cached closure that executes the instruction there.

The word is fetched through cluster.original_word (the loader replaced some system
instructions in memory for the fast engine; the original encoding is kept there), decoded
with iss.isa and handed to the executor registered for its mnemonic.
"""

from .. import privileged as pv
from ..isa import ENCODINGS, CompressedInstruction, IllegalInstruction, decode
from . import exec_custom, exec_dma, exec_fp, exec_int, exec_mem, exec_snitch, exec_system  # noqa: F401  (register executors)
from .common import EXECUTORS, Fault
from .ssr import ssr_wrap

_missing = [e.name for e in ENCODINGS if e.name not in EXECUTORS]
assert not _missing, f"instructions without an executor in the detailed engine: {_missing}"


def fetch(h, pc: int) -> int:
    if pc & 3:
        raise Fault(pv.CAUSE_FETCH_MISALIGNED, pc, f"fetch from misaligned address 0x{pc:08x}")
    try:
        return h.cluster.original_word(pc)
    except IndexError:
        raise Fault(pv.CAUSE_FETCH_ACCESS, pc, f"instruction fetch from unmapped address 0x{pc:08x}") from None


def translate(h, pc: int):
    """The closure for the instruction at `pc` (not cached here)."""
    word = fetch(h, pc)
    try:
        d = decode(word)
    except CompressedInstruction as exc:
        return _raiser(Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, word, f"illegal instruction: {exc.reason}"))
    except IllegalInstruction as exc:
        detail = "illegal instruction" if exc.reason == "unknown instruction" else f"illegal instruction: {exc.reason}"
        return _raiser(Fault(pv.CAUSE_ILLEGAL_INSTRUCTION, word, detail))
    return build(h, d, pc)


def build(h, d, pc: int):
    """The closure of the decoded instruction `d` at `pc`: its executor's, made stream-aware on a
    core with SSRs when it names ft0..ft2 (ssr.py). FREP builds its staggered variants with it."""
    fn = EXECUTORS[d.name](h, d, pc)
    return ssr_wrap(h, d, pc, fn) if h.ssr is not None else fn


def int_sources(word: int) -> tuple[int, ...]:
    """Integer registers the instruction reads (for the scoreboard); () if it does not decode."""
    try:
        d = decode(word)
    except IllegalInstruction:
        return ()
    regs = []
    if d.enc.rs1 == "x" and d.rs1:
        regs.append(d.rs1)
    if d.enc.rs2 == "x" and d.rs2:
        regs.append(d.rs2)
    return tuple(regs)


def int_destination(word: int) -> int | None:
    try:
        d = decode(word)
    except IllegalInstruction:
        return None
    return d.rd if d.enc.rd == "x" and d.rd else None


def _raiser(fault: Fault):
    def run(n):
        raise fault

    return run
