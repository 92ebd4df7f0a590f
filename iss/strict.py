"""Strict mode: memory a DMA transfer or an ITA job is still using, and the checks against it.

The DMA and ITA move their bytes when they are issued (a deterministic point of the schedule),
not when they complete. A program that waits properly cannot tell; one that does not would
silently read data "from the future". In strict mode (ClusterConfig.strict, on in tests) each
transfer or job registers what it uses until its completion time:

- its destination: a hart that loads from or stores to it before then is stopped;
- its sources: a hart that stores to them before then is stopped (the engine may still be
  reading them);
- a DMA transfer or ITA job that reads a pending destination, or writes a pending source or
  destination, at its own start time is stopped too (in-order queues never trip this on
  their own predecessors: a transfer starts when the previous one has completed).

"Before then" is the accessing hart's local time. A registration ends for every hart as soon
as any hart observes the completion (dmstat/COMPLETED_ID/BUSY, ITA FINISHED/STATUS): that is
how a waiting program hands the data to other harts through a barrier or a flag. A hart whose
own time has passed the completion may use the memory without observing it.

Ranges are rows: [lo + k*period, lo + k*period + size) inside [lo, hi) (a 2-D transfer's
rows, period = stride; 1-D: period = size = hi - lo).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ProgramError

MAX_PENDING = 256  # registrations kept (the native table's capacity)


@dataclass(eq=False)
class Pending:
    key: int  # unique, increasing
    agent: str  # "DMA" or "ITA"
    tag: int  # DMA txid or ITA job id
    lo: int
    hi: int
    size: int
    period: int
    source: bool  # True: only stores conflict; False (a destination): loads and stores
    end: int  # completion time
    what: str  # e.g. "DMA transfer txid 3 (L2 0x80001000 -> L1 0x10000000, 4096 B, ...)"

    def overlaps(self, a: int, n: int) -> bool:
        a0, a1 = max(a, self.lo), min(a + n, self.hi)
        if a0 >= a1:
            return False
        row = self.lo + (a0 - self.lo) // self.period * self.period
        return a0 < row + self.size or row + self.period < a1

    def role(self) -> str:
        return "a source" if self.source else "the destination"

    def hint(self) -> str:
        if self.agent == "DMA":
            return f"wait for it first (until completed_id >= {self.tag}: snrt_dma_wait({self.tag}))"
        return f"wait for it first (until ITA FINISHED > {self.tag}: ita_wait_job({self.tag}))"


def rows(base: int, size: int, stride: int, reps: int) -> tuple[int, int, int, int] | None:
    """(lo, hi, size, period) of `reps` rows of `size` bytes, `stride` apart (any sign)."""
    if size <= 0 or reps <= 0:
        return None
    if reps == 1:
        return base, base + size, size, size
    if stride < 0:
        base, stride = base + (reps - 1) * stride, -stride
    hi = base + (reps - 1) * stride + size
    if stride <= size:
        return base, hi, hi - base, hi - base
    return base, hi, size, stride


class Guard:
    """The registry of pending accesses (one per cluster; inert unless config.strict)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.enabled = bool(getattr(cluster.config, "strict", False))
        self.entries: dict[int, Pending] = {}
        self._key = 0
        self.cleared: dict[int, set[int]] = {}  # hart id -> keys whose completion it has passed
        self.tables: dict[int, object] = {}  # hart id -> native table (fast engine)
        self.publish_table = None  # function(table, entries) filling a native table

    # -- registration ---------------------------------------------------------------------------

    def add(self, agent: str, tag: int, ranges, source: bool, end: int, what: str, hart=None, now: int = 0) -> None:
        """Register `ranges` (rows(), None skipped) until `end`; `hart` (at local time `now`)
        is the issuer. Registrations every live hart has outlived are dropped on the way."""
        self._prune(hart, now)
        for r in ranges:
            if r is None:
                continue
            self._key += 1
            self.entries[self._key] = Pending(self._key, agent, tag, *r, source, end, what)
        self.publish()

    def _prune(self, poster, now: int) -> None:
        from .hart import HartState

        times = [now if h is poster else h.cycles for h in self.cluster.harts if h.state is not HartState.EXITED]
        horizon = min(times) if times else 0
        dead = [k for k, e in self.entries.items() if e.end <= horizon]
        if len(self.entries) - len(dead) > MAX_PENDING:  # keep the newest (lose checks, never add errors)
            keep = sorted(k for k in self.entries if k not in set(dead))[-MAX_PENDING:]
            dead = [k for k in self.entries if k not in set(keep)]
        for k in dead:
            del self.entries[k]
        if dead:
            for s in self.cleared.values():
                s.difference_update(dead)

    def observe(self, agent: str, upto_tag: int) -> None:
        """A hart has seen every `agent` transfer/job with tag <= upto_tag complete."""
        dead = [k for k, e in self.entries.items() if e.agent == agent and e.tag <= upto_tag]
        if dead:
            for k in dead:
                del self.entries[k]
            for s in self.cleared.values():
                s.difference_update(dead)
            self.publish()

    def publish(self, only=None) -> None:
        """Refresh the native tables of the fast harts (each without what it has cleared)."""
        if self.publish_table is None:
            return
        for hid, table in self.tables.items():
            if only is None or hid == only:
                done = self.cleared.get(hid, ())
                self.publish_table(table, [e for e in self.entries.values() if e.key not in done])

    # -- checks ------------------------------------------------------------------------------------

    def check_hart(self, hart, address: int, size: int, store: bool, now: int, pc: int) -> None:
        """A load (store) by `hart` at local time `now`: error if it uses pending memory, else
        forget (for this hart) the registrations it has outlived."""
        done = self.cleared.setdefault(hart.hart_id, set())
        for e in self.entries.values():
            if e.key in done or (e.source and not store) or not e.overlaps(address, size):
                continue
            if now < e.end:
                kind = "store to" if store else "load from"
                verb = "writes" if store else "reads"
                raise ProgramError(
                    hart.describe(
                        pc,
                        f"strict mode: {kind} 0x{address & 0xFFFF_FFFF:08x} ({size} B) at cycle {now} {verb} "
                        f"{e.role()} of {e.what}, which completes at cycle {e.end}: {e.hint()}",
                    )
                )
            done.add(e.key)
        self.publish(only=hart.hart_id)

    def check_engine(self, agent: str, what: str, reads, writes, start: int, hart, pc: int) -> None:
        """A DMA transfer or ITA job (`what`) starting at `start` reads the byte ranges `reads`
        and writes `writes` ((address, size) pairs): error if any is still pending then."""
        if not self.entries:
            return
        for ranges, writing in ((reads, False), (writes, True)):
            for a, n in ranges:
                for e in self.entries.values():
                    if (e.source and not writing) or e.end <= start or not e.overlaps(a, n):
                        continue
                    verb = "writes" if writing else "reads"
                    raise ProgramError(
                        hart.describe(
                            pc,
                            f"strict mode: {what}, starting at cycle {start}, {verb} 0x{a:08x}..0x{a + n:08x}, "
                            f"{e.role()} of {e.what}, which completes at cycle {e.end}: {e.hint()}",
                        )
                    )
