"""L1 (TCDM) bank arbitration for the detailed engine's timing (PLATFORM.md sections 3 and 6).

32 banks of 64 bit, bank = (address >> 3) mod 32. Each bank serves one access per cycle; a
hart whose access meets a bank already taken in that cycle by another hart waits one cycle
and tries again. Harts run in quanta, so accesses reach the arbiter in simulation order, not
in time order: the earlier-simulated hart wins a cycle (deterministic, like a fixed-priority
arbiter). Core loads, stores and AMOs take part; SSR streams, DMA and ITA do not (yet).
"""

from .memmap import L1_BASE

_PRUNE_EVERY = 1 << 16


class TcdmBanks:
    def __init__(self, cluster, banks: int = 32, bank_bytes: int = 8):
        self.cluster = cluster
        self.banks = banks
        self.bank_bytes = bank_bytes
        self.taken: dict[int, int] = {}  # cycle * banks + bank -> hart id
        self.conflicts = 0
        self._until_prune = _PRUNE_EVERY

    def access(self, hart_id: int, cycle: int, address: int) -> int:
        """Book the bank of `address` for `hart_id` at `cycle` or later; the stall cycles."""
        bank = ((address - L1_BASE) // self.bank_bytes) % self.banks
        taken, banks = self.taken, self.banks
        key = cycle * banks + bank
        stall = 0
        while True:
            owner = taken.get(key)
            if owner is None or owner == hart_id:
                break
            stall += 1
            key += banks
        taken[key] = hart_id
        self.conflicts += stall
        self._until_prune -= 1
        if not self._until_prune:
            self._prune()
        return stall

    def _prune(self) -> None:
        """Forget cycles every hart has left behind (no hart can access them any more)."""
        self._until_prune = _PRUNE_EVERY
        floor = min(h.cycles for h in self.cluster.harts) * self.banks
        self.taken = {k: v for k, v in self.taken.items() if k >= floor}
