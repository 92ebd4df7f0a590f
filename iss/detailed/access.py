"""Data memory of a detailed hart: RAM views for the fast paths, and the slow path for
everything else (L2 latency, misalignment, devices -- peripherals page, zero memory --,
`tohost`, faults).

L1 and L2 are the cluster's numpy buffers, viewed here through memoryviews of each element
type (signed/unsigned 8, 16, 32 and 64 bit) so that a Python int is one index away; the host
is little-endian like the target. Executors inline the aligned-L1 case and call load()/store()
for every other access. Loads return the value zero-extended; sign extension is the caller's.
"""

from .. import memmap as mm
from .common import M32, Fault, Stop

_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_SHIFT = {1: 0, 2: 1, 4: 2, 8: 3}


class RamViews:
    """Typed views of one RAM buffer."""

    def __init__(self, buf, base: int):
        raw = memoryview(buf).cast("B")
        self.base, self.end, self.size = base, base + raw.nbytes, raw.nbytes
        self.u = {size: raw.cast(code) for size, code in _CODES.items()}
        self.s8, self.s16 = raw.cast("b"), raw.cast("h")


class DataPort:
    def __init__(self, hart):
        cl = hart.cluster
        self.hart = hart
        self.cluster = cl
        self.l1 = RamViews(cl.memory.l1, mm.L1_BASE)
        self.l2 = RamViews(cl.memory.l2, mm.L2_BASE)
        self.stall = hart._st  # one-element list: the hart's stall cycles
        self.l2_stall = hart.timing.l2_stall
        self.tohost_page = cl.tohost_page if cl.tohost_page is not None else -1
        # Off (--no-check-alignment): misaligned accesses to RAM are done bytewise, as the fast
        # engine then lets QEMU do them.
        self.check_alignment = getattr(cl.config, "check_alignment", True)
        # Executors do aligned L1 accesses inline when inline_lo <= address < inline_hi. Strict
        # mode (iss/strict.py) sends every access through load()/store() to check it against
        # the memory DMA transfers and ITA jobs are still using.
        self.guard = cl.guard if cl.guard.enabled else None
        # With L1 bank arbitration (timing.py), every L1 access is booked in the cluster's
        # TcdmBanks, so none is done inline either.
        self.banks = cl.tcdm if hart.timing.l1_bank_conflicts and cl.config.cores > 0 else None
        self.hart_id = hart.hart_id
        inline = not self.guard and self.banks is None
        self.inline_lo, self.inline_hi = (self.l1.base, self.l1.end) if inline else (0, 0)
        # Memory-mapped devices: (first address, end, read(offset, size, n, pc), write(offset,
        # size, value, n, pc)). A new device (ITA, DMA front-end) is one more entry here.
        periph = cl.peripherals
        self.devices = [
            (mm.PERIPH_BASE, mm.PERIPH_BASE + mm.PERIPH_SIZE,
             lambda off, size, n, pc: periph.read(self._sync(n, pc), off, size, pc),
             lambda off, size, value, n, pc: periph.write(self._sync(n, pc), off, size, value, pc)),
            (mm.ZERO_MEM_BASE, mm.ZERO_MEM_BASE + mm.ZERO_MEM_SIZE,
             lambda off, size, n, pc: 0,
             lambda off, size, value, n, pc: None),
            (mm.ITA_BASE, mm.ITA_BASE + mm.ITA_SIZE,
             lambda off, size, n, pc: cl.ita.read(self._sync(n, pc), off, size, pc),
             lambda off, size, value, n, pc: cl.ita.write(self._sync(n, pc), off, size, value, pc)),
            (mm.DMA_BASE, mm.DMA_BASE + mm.DMA_SIZE,
             lambda off, size, n, pc: cl.dma_frontend.read(self._sync(n, pc), off, size, pc),
             lambda off, size, value, n, pc: cl.dma_frontend.write(self._sync(n, pc), off, size, value, pc)),
        ]  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------------

    def _ram(self, a: int, size: int, n: int = 0):
        """(views, offset) for an aligned RAM access, counting the L2 latency and L1 bank
        conflicts (the hart has retired `n` instructions), else None."""
        l1, l2 = self.l1, self.l2
        if l1.base <= a < l1.end:
            if self.banks is not None:
                self.stall[0] += self.banks.access(self.hart_id, n + self.stall[0], a)
            return l1, a - l1.base
        if l2.base <= a < l2.end:
            self.stall[0] += self.l2_stall
            return l2, a - l2.base
        return None

    def _sync(self, n: int, pc: int):
        """Make the hart's counters exact before a device sees it (cycles, describe); the hart."""
        h = self.hart
        h._retired = n
        h.pc = pc
        return h

    def _check_pending(self, a: int, size: int, store: bool, n: int, pc: int) -> None:
        """Strict mode: the access against the DMA/ITA registrations (raises on a conflict)."""
        if self.guard.entries:
            self.guard.check_hart(self._sync(n, pc), a, size, store, n + self.stall[0], pc)

    def device(self, a: int):
        for entry in self.devices:
            if entry[0] <= a < entry[1]:
                return entry
        return None

    def _stop_if_requested(self) -> None:
        h = self.hart
        if h._stop_pc is not None:
            pc, h._stop_pc = h._stop_pc, None
            raise Stop(pc)

    # -- loads -----------------------------------------------------------------------------------

    def load(self, a: int, size: int, n: int, pc: int) -> int:
        a &= M32
        if a & (size - 1):
            if self.check_alignment or self.cluster.memory.locate(a, size) is None:
                raise Fault(4, a, f"misaligned load from address 0x{a:08x} ({size} B)")
            if self.guard:
                self._check_pending(a, size, False, n, pc)
            self._ram(a, size, n)  # latency
            return int.from_bytes(self.cluster.memory.read(a, size), "little")
        if self.guard:
            self._check_pending(a, size, False, n, pc)
        ram = self._ram(a, size, n)
        if ram is not None:
            views, off = ram
            return views.u[size][off >> _SHIFT[size]]
        dev = self.device(a)
        if dev is not None:
            return dev[2](a - dev[0], size, n, pc) & ((1 << (8 * size)) - 1)
        raise Fault(5, a, f"load from unmapped address 0x{a:08x} ({size} B)")

    # -- stores ----------------------------------------------------------------------------------

    def store(self, a: int, size: int, value: int, n: int, pc: int) -> None:
        a &= M32
        value &= (1 << (8 * size)) - 1
        if a & (size - 1):
            if self.check_alignment or self.cluster.memory.locate(a, size) is None:
                raise Fault(6, a, f"misaligned store to address 0x{a:08x} ({size} B)")
            if self.guard:
                self._check_pending(a, size, True, n, pc)
            self._ram(a, size, n)  # latency
            self.cluster.memory.write(a, value.to_bytes(size, "little"))
            return
        if self.guard:
            self._check_pending(a, size, True, n, pc)
        ram = self._ram(a, size, n)
        if ram is not None:
            views, off = ram
            views.u[size][off >> _SHIFT[size]] = value
            if a & ~(mm.PAGE - 1) == self.tohost_page:
                self._sync(n, pc)
                self.cluster.tohost_written(self.hart, a, value, pc)
                self._stop_if_requested()
            return
        dev = self.device(a)
        if dev is not None:
            dev[3](a - dev[0], size, value, n, pc)
            self._stop_if_requested()
            return
        raise Fault(7, a, f"store to unmapped address 0x{a:08x} ({size} B)")

    # -- atomics (32-bit words) --------------------------------------------------------------------

    @staticmethod
    def check_amo(a: int) -> None:
        """AMOs and sc.w: store/AMO address misaligned (lr.w is a load: load())."""
        if a & 3:
            raise Fault(6, a, f"misaligned store to address 0x{a:08x} (4 B)")

    def amo(self, a: int, op, operand: int, n: int, pc: int) -> int:
        """Read-modify-write of the word at `a`: store op(old, operand); return old."""
        a &= M32
        self.check_amo(a)
        if self.guard:
            self._check_pending(a, 4, True, n, pc)
        ram = self._ram(a, 4, n) if a & ~(mm.PAGE - 1) != self.tohost_page else None
        if ram is not None:
            views, off = ram
            words = views.u[4]
            old = words[off >> 2]
            words[off >> 2] = op(old, operand) & M32
            return old
        if self.device(a) is None and a & ~(mm.PAGE - 1) != self.tohost_page:
            raise Fault(7, a, f"store to unmapped address 0x{a:08x} (4 B)")
        old = self.load(a, 4, n, pc)
        self.store(a, 4, op(old, operand), n, pc)
        return old

    def store_conditional(self, a: int, value: int, reserved: int, n: int, pc: int) -> bool:
        """sc.w: store `value` if the word at `a` still holds `reserved` (QEMU's rule); True if stored."""
        a &= M32
        self.check_amo(a)
        if self.guard:
            self._check_pending(a, 4, False, n, pc)
        l1, l2 = self.l1, self.l2
        if l1.base <= a < l1.end:
            current = l1.u[4][(a - l1.base) >> 2]
        elif l2.base <= a < l2.end:
            current = l2.u[4][(a - l2.base) >> 2]
        elif self.device(a) is not None:
            current = self.load(a, 4, n, pc)
        else:
            raise Fault(7, a, f"store to unmapped address 0x{a:08x} (4 B)")
        if current != reserved:
            return False
        self.store(a, 4, value, n, pc)
        return True
