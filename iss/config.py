"""Configuration of the simulated cluster; defaults are those of PLATFORM.md."""

from dataclasses import dataclass

from .errors import BadInputError
from .memmap import L1_MAX_SIZE

ENGINES = ("fast", "detailed")


@dataclass(frozen=True)
class ClusterConfig:
    cores: int = 8  # compute cores; the DMA core is hart `cores`
    l1_kib: int = 128
    l2_kib: int = 8 * 1024
    stack_bytes: int = 2048  # per hart, at the top of L1 (TLS included)
    quantum: int = 100_000  # instructions a hart runs before the scheduler moves on
    max_cycles: int | None = None
    timeout_s: float | None = None
    freq_mhz: float = 500.0
    engine: str = "fast"  # "fast" (Unicorn) or "detailed" (pure Python, timing model of section 6)
    # Misaligned loads/stores raise exceptions (PLATFORM.md section 1). The check is a native
    # Unicorn memory hook, which also makes every pc seen by peripherals exact; it costs the
    # fast engine most of its speed (iss/fast/native.py). Off: misaligned accesses just work.
    check_alignment: bool = True
    # Strict mode (on in tests): a DMA or ITA destination is poisoned until the transfer or job
    # has completed in simulated time; reading it earlier (or writing a source or destination
    # still in use) stops the run with an error naming hart, pc, address and txid/job.
    strict: bool = False
    # DMA (PLATFORM.md sections 5 and 6): a transfer takes setup + ceil(row/bytes_per_cycle)
    # per row, + the L2 latency once when L2 is its source or destination; transfers queue.
    dma_setup_cycles: int = 20
    dma_bytes_per_cycle: int = 64
    dma_l2_latency: int = 10
    # ITA: job contexts of the HWPE controller (N_CONTEXT) and the softmax it implements
    # (iss.ita.SoftmaxVariant value); its timing model is iss.ita.peripheral.ItaTiming.
    ita_contexts: int = 4
    ita_softmax: str = "ita-paper"

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise BadInputError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if not 1 <= self.cores <= 8:
            raise BadInputError(f"--cores must be 1..8, got {self.cores}")
        if self.l1_kib < 4 or self.l1_kib % 4 or self.l1_kib * 1024 > L1_MAX_SIZE:
            raise BadInputError(f"--l1-kib must be a multiple of 4 in 4..{L1_MAX_SIZE // 1024}, got {self.l1_kib}")
        if self.l2_kib < 4 or self.l2_kib % 4:
            raise BadInputError(f"--l2-kib must be a multiple of 4 and at least 4, got {self.l2_kib}")
        if self.stack_bytes % 16 or self.stack_bytes * (self.cores + 1) > self.l1_kib * 1024 // 2:
            raise BadInputError(f"stack size {self.stack_bytes} B per hart x {self.cores + 1} harts does not fit half of "
                                f"the {self.l1_kib} KiB L1 (give more L1 or smaller stacks)")
        if self.quantum < 1000:
            raise BadInputError("quantum must be at least 1000 instructions")
        if self.max_cycles is not None and self.max_cycles <= 0:
            raise BadInputError("--max-cycles must be positive")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise BadInputError("--timeout must be positive")
        if self.dma_setup_cycles < 0 or self.dma_bytes_per_cycle < 1 or self.dma_l2_latency < 0:
            raise BadInputError("DMA timing: setup and L2 latency must be >= 0, bytes per cycle >= 1")
        if not 1 <= self.ita_contexts <= 16:
            raise BadInputError(f"ITA job contexts must be 1..16, got {self.ita_contexts}")
        if self.ita_softmax not in ("ita-paper", "ita-current", "deeploy-itamax", "deeploy-itapartialmax", "quantlib-itapartialmax"):
            raise BadInputError(f"unknown ITA softmax variant {self.ita_softmax!r}")

    @property
    def num_harts(self) -> int:
        return self.cores + 1

    @property
    def l1_bytes(self) -> int:
        return self.l1_kib * 1024

    @property
    def l2_bytes(self) -> int:
        return self.l2_kib * 1024
