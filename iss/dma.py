"""The cluster DMA (PLATFORM.md section 5): one engine, two front-ends.

- Xdma instructions on the DMA core (snitch.md section 3): dmsrc, dmdst, dmstr, dmrep, dmcpy(i),
  dmstat(i). The engines decode them and call `xdma()` (fast: iss/fast/xdma.py, detailed:
  iss/detailed/exec_dma.py); on a compute core they are illegal instructions.
- A register front-end at DMA_BASE usable from any hart (registers in memmap.py, DmaFrontend).

Both feed one in-order queue and one transfer-id sequence (iDMA's: the first transfer gets id 2,
completed_id starts at 1; a transfer is done when completed_id >= its id).

Timing, in the issuing hart's local time t (cycles):
    start = max(t, end of the previous transfer)
    end   = start + setup + rows * ceil(row_bytes / bytes_per_cycle) (+ L2 latency if L2 is
            the source or the destination)
(a 1-D transfer is one row, so its data time is ceil(bytes / 64); each row of a 2-D transfer is
at least one beat of the 512-bit port). completed_id, busy and the observing hart's view are
evaluated at that hart's local time; the completion is a cluster event (wakes `wfi`).

Data moves when the transfer is issued (all rows read, then written), which is deterministic and
what any program that waits for the transfer sees. Strict mode (iss/strict.py) makes reading the
destination (or writing the source) before the completion time an error.
"""

from __future__ import annotations

from . import memmap as mm
from .errors import ProgramError
from .events import local_time

STATUS_COMPLETED, STATUS_NEXT, STATUS_BUSY, STATUS_WOULD_BLOCK = range(4)
FIRST_TXID = 2  # iDMA idma_transfer_id_gen: next = 2, completed = 1 at reset

_REG_NAMES = {
    mm.DMA_REG_SRC: "SRC",
    mm.DMA_REG_DST: "DST",
    mm.DMA_REG_SIZE: "SIZE",
    mm.DMA_REG_SRC_STRIDE: "SRC_STRIDE",
    mm.DMA_REG_DST_STRIDE: "DST_STRIDE",
    mm.DMA_REG_REPS: "REPS",
    mm.DMA_REG_START: "START",
    mm.DMA_REG_COMPLETED_ID: "COMPLETED_ID",
    mm.DMA_REG_BUSY: "BUSY",
    mm.DMA_REG_NEXT_ID: "NEXT_ID",
}


def _s32(v: int) -> int:
    v &= 0xFFFF_FFFF
    return v - (1 << 32) if v & 0x8000_0000 else v


class DmaEngine:
    def __init__(self, cluster):
        cfg = cluster.config
        self.cluster = cluster
        self.setup = cfg.dma_setup_cycles
        self.bytes_per_cycle = cfg.dma_bytes_per_cycle
        self.l2_latency = cfg.dma_l2_latency
        self.ends: list[int] = []  # completion time of transfer FIRST_TXID + i (non-decreasing)
        self.last_end = 0
        # statistics for the report
        self.transfers = 0
        self.bytes = 0
        self.busy_cycles = 0
        # Xdma registers of the DMA core (dmsrc, dmdst, dmstr, dmrep)
        self.src = self.dst = 0
        self.src_stride = self.dst_stride = 0
        self.reps = 0

    # -- queries (at the asking hart's local time `now`) ---------------------------------------------

    @property
    def next_id(self) -> int:
        return FIRST_TXID + len(self.ends)

    def completed_id(self, now: int) -> int:
        from bisect import bisect_right

        done = bisect_right(self.ends, now)
        completed = FIRST_TXID - 1 + done
        if done and self.cluster.guard.enabled:
            self.cluster.guard.observe("DMA", completed)
        return completed

    def busy(self, now: int) -> int:
        if self.last_end > now:
            return 1
        if self.ends and self.cluster.guard.enabled:
            self.cluster.guard.observe("DMA", self.next_id - 1)
        return 0

    # -- starting a transfer -----------------------------------------------------------------------

    def start(self, hart, pc: int, now: int, src: int, dst: int, size: int, src_stride: int, dst_stride: int,
              reps: int, via: str) -> int:  # fmt: skip
        """Queue a transfer of `reps` rows of `size` bytes; returns its txid."""
        txid = self.next_id
        mem = self.cluster.memory
        reps = max(reps, 1)
        src_rows = [(src + i * src_stride) & 0xFFFF_FFFF for i in range(reps)] if size else []
        dst_rows = [(dst + i * dst_stride) & 0xFFFF_FFFF for i in range(reps)] if size else []
        l2 = False
        for role, starts in (("source", src_rows), ("destination", dst_rows)):
            for a in starts:
                region = self._region(a, size)
                if region is None:
                    raise ProgramError(
                        hart.describe(
                            pc,
                            f"DMA transfer txid {txid} ({via}): {role} 0x{a:08x}..0x{a + size:08x} "
                            f"({size} B) is not inside L1 or L2",
                        )
                    )
                l2 |= region == "L2"
        beats = reps * -(-size // self.bytes_per_cycle) if size else 0
        begin = max(now, self.last_end)
        end = begin + self.setup + beats + (self.l2_latency if l2 else 0)
        what = self._describe(txid, src, dst, size, src_stride, dst_stride, reps, hart, pc, now, via)
        guard = self.cluster.guard
        if guard.enabled:
            guard.check_engine(
                "DMA", f"DMA transfer txid {txid}", [(a, size) for a in src_rows], [(a, size) for a in dst_rows],
                begin, hart, pc,
            )  # fmt: skip
        # move the data: read every row, then write every row
        data = [mem.read(a, size) for a in src_rows]
        for a, row in zip(dst_rows, data):
            mem.write(a, row)
        if guard.enabled and size:
            from .strict import rows

            guard.add("DMA", txid, [rows(dst, size, dst_stride, reps)], False, end, what, hart, now)
            guard.add("DMA", txid, [rows(src, size, src_stride, reps)], True, end, what, hart, now)
        self.ends.append(end)
        self.last_end = end
        self.transfers += 1
        self.bytes += size * reps
        self.busy_cycles += end - begin
        self.cluster.events.post(end, hart, now)
        return txid

    def _region(self, a: int, size: int) -> str | None:
        if size == 0:
            return "L1"
        for name, base, buf in self.cluster.memory.regions:
            if base <= a and a + size <= base + buf.size:
                return name
        return None

    def _describe(self, txid, src, dst, size, ss, ds, reps, hart, pc, now, via) -> str:
        def where(a):
            return f"{self._region(a, 1) or '?'} 0x{a:08x}"

        shape = f"{size} B" if reps == 1 else f"{reps} x {size} B, strides {ss}/{ds}"
        return (
            f"DMA transfer txid {txid} ({where(src)} -> {where(dst)}, {shape}, issued by hart {hart.hart_id} "
            f"at pc 0x{pc:08x} at cycle {now} via {via})"
        )

    # -- Xdma (DMA core only) -----------------------------------------------------------------------

    def xdma(self, hart, name: str, pc: int, now: int, a: int, b: int, imm: int) -> int | None:
        """Execute Xdma instruction `name` with rs1 value `a`, rs2 value `b`, 5-bit immediate `imm`
        at local time `now`. Returns the value for rd (None: no destination). The caller has
        checked that `hart` is the DMA core."""
        if name == "dmsrc":
            self.src = self._address(hart, pc, "source", a, b)
        elif name == "dmdst":
            self.dst = self._address(hart, pc, "destination", a, b)
        elif name == "dmstr":
            self.src_stride, self.dst_stride = _s32(a), _s32(b)
        elif name == "dmrep":
            self.reps = a & 0xFFFF_FFFF
        elif name in ("dmcpy", "dmcpyi"):
            config = b if name == "dmcpy" else imm
            self._channel(hart, pc, config)
            two_d = bool(config & 2)
            return self.start(
                hart, pc, now, self.src, self.dst, a & 0xFFFF_FFFF,
                self.src_stride if two_d else 0, self.dst_stride if two_d else 0,
                self.reps if two_d else 1, name,
            )  # fmt: skip
        elif name in ("dmstat", "dmstati"):
            sel = b if name == "dmstat" else imm
            self._channel(hart, pc, sel)
            sel &= 3
            if sel == STATUS_COMPLETED:
                return self.completed_id(now)
            if sel == STATUS_NEXT:
                return self.next_id
            if sel == STATUS_BUSY:
                return self.busy(now)
            return 0  # would_block: the queue is unbounded
        else:
            raise ProgramError(hart.describe(pc, f"{name} is not an Xdma instruction of this DMA"))
        return None

    @staticmethod
    def _channel(hart, pc: int, config: int) -> None:
        if (config >> 2) & 7:
            raise ProgramError(hart.describe(pc, f"DMA channel {(config >> 2) & 7}: this DMA has one channel (0)"))

    @staticmethod
    def _address(hart, pc: int, role: str, lo: int, hi: int) -> int:
        if hi & 0xFFFF:  # PLEN 48: bits above are ignored
            raise ProgramError(
                hart.describe(pc, f"DMA {role} 0x{hi & 0xFFFF:04x}{lo & 0xFFFF_FFFF:08x} is beyond the 32-bit address space")
            )
        return lo & 0xFFFF_FFFF


class DmaFrontend:
    """The register front-end (memmap.DMA_REG_*): SRC..REPS per hart, the rest the engine's."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.regs = [dict.fromkeys(("SRC", "DST", "SIZE", "SRC_STRIDE", "DST_STRIDE"), 0) | {"REPS": 1}
                     for _ in range(cluster.config.num_harts)]  # fmt: skip

    def _reg(self, hart, offset: int, size: int, pc: int, write: bool) -> str:
        name = _REG_NAMES.get(offset)
        if name is None or size != 4:
            kind = "write to" if write else "read of"
            raise ProgramError(
                hart.describe(pc, f"{kind} 0x{mm.DMA_BASE + offset:08x} ({size} B): not a DMA front-end register "
                                  "(32-bit registers, docs/platform-notes.md)")
            )
        return name

    def read(self, hart, offset: int, size: int, pc: int) -> int:
        name = self._reg(hart, offset, size, pc, False)
        dma = self.cluster.dma
        if name in self.regs[hart.hart_id]:
            return self.regs[hart.hart_id][name] & 0xFFFF_FFFF
        now = local_time(hart, pc)
        if name == "START":
            r = self.regs[hart.hart_id]
            return dma.start(hart, pc, now, r["SRC"], r["DST"], r["SIZE"], _s32(r["SRC_STRIDE"]), _s32(r["DST_STRIDE"]),
                             r["REPS"], "register front-end")  # fmt: skip
        if name == "COMPLETED_ID":
            return dma.completed_id(now)
        if name == "BUSY":
            return dma.busy(now)
        return dma.next_id

    def write(self, hart, offset: int, size: int, value: int, pc: int) -> None:
        name = self._reg(hart, offset, size, pc, True)
        regs = self.regs[hart.hart_id]
        if name not in regs:
            raise ProgramError(hart.describe(pc, f"DMA register {name} is read-only (read START to start a transfer)"))
        regs[name] = value & 0xFFFF_FFFF
