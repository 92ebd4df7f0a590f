"""Timing model of the detailed engine (PLATFORM.md section 6).

Single-issue, in-order: every instruction issues one cycle after the previous one, plus
 - blocking extra cycles: mul/mulh* +1, div/rem +32, a core load/store/AMO to L2 costs
   `l2_access` cycles (+9 over the 1 of L1);
 - FP result latencies (fp64 3, fp32 2 cycles) seen only by dependent instructions: every
   register has the cycle its value is ready; an instruction issuing at cycle c that reads a
   register ready at r > c stalls r - c cycles (the scoreboard).
Stalls are counted in the hart's stall_cycles; its local time is instret + stall_cycles.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class TimingModel:
    mul_extra: int = 1  # mul, mulh, mulhsu, mulhu
    div_extra: int = 32  # div, divu, rem, remu
    l2_access: int = 10  # cycles per core access to L2 (L1: 1)
    fp64_latency: int = 3  # FPU result latency of double-precision instructions
    fp32_latency: int = 2  # ... of single-precision ones (and fmv.x.w / fmv.w.x)
    l1_banks: int = 32
    l1_bank_bytes: int = 8
    l1_bank_conflicts: bool = True  # harts meeting in one bank in one cycle wait (iss/tcdm.py)

    @property
    def l2_stall(self) -> int:
        return self.l2_access - 1

    def describe(self) -> str:
        return (
            f"1 cycle per instruction; mul +{self.mul_extra}, div/rem +{self.div_extra}; core L2 access "
            f"{self.l2_access} cycles; FP latency fp64 {self.fp64_latency} / fp32 {self.fp32_latency} cycles "
            "through dependences; L1 bank conflicts between cores; barrier and wfi waits"
        )

    def fp_latency(self, word: int) -> int:
        """Latency of an FPU instruction: its fmt field (bits 26:25) 1 = D, 0 = S."""
        return self.fp64_latency if (word >> 25) & 3 == 1 else self.fp32_latency


DEFAULT_TIMING = TimingModel()


# -- L1 bank conflicts: iss/tcdm.py arbitrates, access.py books every core L1 access ----------


def l1_bank(address: int, timing: TimingModel = DEFAULT_TIMING) -> int:
    return (address // timing.l1_bank_bytes) % timing.l1_banks
