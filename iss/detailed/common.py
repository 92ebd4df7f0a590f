"""Shared pieces of the detailed engine: the executor registry and the two control signals.

An executor is registered per mnemonic of the encoding table (iss/isa/encoding.py):

    @executes("add")
    def add(h, d, pc):          # h: DetailedHart, d: iss.isa.Decoded, pc: its address
        ...
        def run(n):             # n: instructions retired before this one (instret)
            ...
            return pc + 4       # the next pc
        return run

The returned closure is cached per pc and called by the hart's run loop. It either returns
the next pc, raises Fault (the instruction traps and does not retire) or raises Stop (it
retired and the hart must leave its run loop: barrier, wfi, exit). Adding an instruction is
an entry in the encoding table plus one registered builder.
"""

M32 = 0xFFFF_FFFF
SIGN32 = 0x8000_0000
X_SINK = 32  # register-file index written for rd = x0 (never read), so no rd == 0 test at run time

EXECUTORS: dict = {}


def executes(*names):
    """Register a builder for the mnemonics `names`."""

    def register(builder):
        for name in names:
            assert name not in EXECUTORS, f"two executors for {name}"
            EXECUTORS[name] = builder
        return builder

    return register


def wreg(rd: int) -> int:
    """Index to write for integer destination rd (x0 writes go to the sink)."""
    return rd if rd else X_SINK


class Fault(Exception):
    """A synchronous exception raised by the instruction being executed."""

    def __init__(self, cause: int, tval: int, detail: str = ""):
        super().__init__(detail)
        self.cause, self.tval, self.detail = cause, tval, detail


class Stop(Exception):
    """The instruction retired; the hart leaves its run loop and resumes at `pc` later."""

    def __init__(self, pc: int):
        super().__init__(pc)
        self.pc = pc


def illegal(d, detail: str = "illegal instruction") -> Fault:
    return Fault(2, d.word, detail)
