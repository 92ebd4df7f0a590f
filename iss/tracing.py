"""Running harts with a trace log (PLATFORM.md section 8).

Tracing runs every hart on the detailed engine, one instruction at a time (the fast engine
hands over to it, as the issue allows): per retired instruction it records the destination
register's new value and the memory access (address and value) for the trace line.
"""

from pathlib import Path

from .hart import HartState
from .isa import IllegalInstruction, decode
from .isa.regnames import FREG_NAMES, XREG_NAMES
from .trace import MemAccess, TraceFilter, TraceWriter


class TraceSet:
    """One TraceWriter per hart, all in `directory`."""

    def __init__(self, directory: str | Path, num_harts: int, pc_filter: TraceFilter | None = None):
        self.directory = Path(directory)
        self.writers = [TraceWriter(self.directory, h, pc_filter) for h in range(num_harts)]

    def close(self) -> None:
        for w in self.writers:
            w.close()


def _decoded(word: int):
    try:
        return decode(word)
    except IllegalInstruction:
        return None


def run_traced(hart, quantum: int, writer: TraceWriter) -> None:
    """Up to `quantum` instructions of a detailed hart, each written to `writer`."""
    cluster = hart.cluster
    for _ in range(quantum):
        if hart.state is not HartState.RUNNING or cluster.finished:
            return
        pc = hart.pc
        word = cluster.original_word(pc)
        d = _decoded(word)
        load_address = None
        if d is not None and d.enc.kind == "load":
            load_address = (hart.x[d.rs1] + d.imm) & 0xFFFF_FFFF
        before = hart.instret
        hart.step()
        if hart.instret == before or pc not in writer.filter:
            continue  # a trap was taken (nothing retired) or the pc is filtered out
        writes, mem = [], []
        if d is not None and d.rd and d.enc.rd == "x":
            writes.append((XREG_NAMES[d.rd], hart.x[d.rd]))
        elif d is not None and d.enc.rd == "f":
            writes.append((FREG_NAMES[d.rd], hart.f[d.rd]))
        if load_address is not None:
            value = writes[0][1] if writes else 0
            mem.append(MemAccess("ld", load_address, value))
        for address, size in getattr(hart, "last_stores", ()):
            mem.append(MemAccess("st", address, int.from_bytes(cluster.memory.read(address, size), "little")))
        writer.retire(hart.cycles, hart.instret, pc, word, writes, mem)
