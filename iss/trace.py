"""Trace logs, PLATFORM.md section 8: one file per hart, one line per retired instruction.

    <cycle> <instret> <hart> 0x<pc> 0x<insn> <disassembly>  # <rd>=<value> <mem access>

for example `    1042      987 3 0x80000124 0x02d70733 mul a4,a4,a3  # a4=0x0000012c`.
A memory access reads `ld 0x<addr>=0x<value>` or `st 0x<addr>=0x<value>`. Cycle and instret
are the hart's counts when the instruction retires (instret includes it). The format is
stable: `parse_line` reads it back, and tests hold both to the examples above.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .isa import disassemble


@dataclass(frozen=True)
class MemAccess:
    kind: str  # "ld" or "st"
    address: int
    value: int

    def __str__(self) -> str:
        return f"{self.kind} 0x{self.address:08x}=0x{self.value:0{8 if self.value < 1 << 32 else 16}x}"


@dataclass(frozen=True)
class TraceRecord:
    cycle: int
    instret: int
    hart: int
    pc: int
    insn: int
    disassembly: str
    writes: tuple[tuple[str, int], ...] = ()  # (register name, value)
    mem: tuple[MemAccess, ...] = field(default=())


def format_line(rec: TraceRecord) -> str:
    head = f"{rec.cycle:>8} {rec.instret:>8} {rec.hart} 0x{rec.pc:08x} 0x{rec.insn:08x} {rec.disassembly}"
    notes = [f"{name}=0x{value:0{16 if value >> 32 else 8}x}" for name, value in rec.writes]
    notes += [str(m) for m in rec.mem]
    return f"{head}  # {' '.join(notes)}" if notes else head


_LINE = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+0x([0-9a-f]{8})\s+0x([0-9a-f]{8})\s+(.*?)(?:\s\s#\s(.*))?$")
_NOTE = re.compile(r"(ld|st) 0x([0-9a-f]+)=0x([0-9a-f]+)|([a-z0-9]+)=0x([0-9a-f]+)")


def parse_line(line: str) -> TraceRecord:
    m = _LINE.match(line.rstrip("\n"))
    if not m:
        raise ValueError(f"not a trace line: {line!r}")
    cycle, instret, hart, pc, insn, dis, notes = m.groups()
    writes, mem = [], []
    for n in _NOTE.finditer(notes or ""):
        if n.group(1):
            mem.append(MemAccess(n.group(1), int(n.group(2), 16), int(n.group(3), 16)))
        else:
            writes.append((n.group(4), int(n.group(5), 16)))
    return TraceRecord(int(cycle), int(instret), int(hart), int(pc, 16), int(insn, 16), dis, tuple(writes), tuple(mem))


@dataclass(frozen=True)
class TraceFilter:
    """Trace only instructions with start <= pc < end (a range, or a symbol's extent)."""

    start: int = 0
    end: int = 1 << 32

    def __contains__(self, pc: int) -> bool:
        return self.start <= pc < self.end

    @classmethod
    def parse(cls, text: str | None, program) -> "TraceFilter":
        """`0x80000000:0x80000100` or a symbol name (a function's extent from the ELF)."""
        from .errors import BadInputError

        if not text:
            return cls()
        if ":" in text:
            lo, hi = text.split(":", 1)
            try:
                return cls(int(lo, 0), int(hi, 0))
            except ValueError:
                raise BadInputError(f"--trace-filter {text!r}: expected START:END addresses") from None
        if text not in program.symbols:
            raise BadInputError(f"--trace-filter {text!r}: no such symbol in {program.path}")
        start = program.symbols[text]
        return cls(start, start + max(program.symbol_sizes.get(text, 0), 4))


class TraceWriter:
    """Writes one hart's trace to DIR/hart_<N>.log."""

    def __init__(self, directory: str | Path, hart: int, pc_filter: TraceFilter | None = None):
        self.path = Path(directory) / f"hart_{hart}.log"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "w", buffering=1 << 16)
        self.hart = hart
        self.filter = pc_filter or TraceFilter()

    def retire(self, cycle, instret, pc, insn, writes=(), mem=()) -> None:
        if pc in self.filter:
            rec = TraceRecord(cycle, instret, self.hart, pc, insn, disassemble(insn, pc), tuple(writes), tuple(mem))
            self.file.write(format_line(rec) + "\n")

    def close(self) -> None:
        self.file.close()
