"""The run report: what `iss run` prints after the program's output (text or JSON)."""

import json
from dataclasses import asdict, dataclass, field


@dataclass
class HartReport:
    hart: int
    role: str  # "core" or "dma"
    instructions: int
    stall_cycles: int
    cycles: int
    state: str
    handoff_instructions: int = 0  # fast engine: of `instructions`, those run detailed (SSR/FREP)


@dataclass
class ItaReport:
    jobs: int = 0
    busy_cycles: int = 0
    macs: int = 0
    mac_utilisation: float = 0.0  # macs / (busy_cycles * 1024)


@dataclass
class DmaReport:
    transfers: int = 0
    bytes: int = 0
    busy_cycles: int = 0


@dataclass
class RunReport:
    program: str
    engine: str
    timing_model: str
    exit_code: int
    cycles: int
    instructions: int
    harts: list[HartReport] = field(default_factory=list)
    freq_mhz: float = 500.0
    wall_seconds: float = 0.0
    ita: ItaReport = field(default_factory=ItaReport)
    dma: DmaReport = field(default_factory=DmaReport)
    handoff_instructions: int = 0  # fast engine: instructions run by the detailed engine (SSR/FREP hand-off)

    @property
    def time_us(self) -> float:
        return self.cycles / self.freq_mhz

    @property
    def mips(self) -> float:
        return self.instructions / self.wall_seconds / 1e6 if self.wall_seconds else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["time_us"] = self.time_us
        d["host_mips"] = self.mips
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        lines = [
            f"program      {self.program}",
            f"exit code    {self.exit_code}",
            f"engine       {self.engine} ({self.timing_model})",
            f"cycles       {self.cycles}  ({self.time_us:.3f} us at {self.freq_mhz:g} MHz)",
            f"instructions {self.instructions}  ({self.mips:.1f} MIPS on the host, {self.wall_seconds:.2f} s)",
            f"ita          {self.ita.jobs} jobs, {self.ita.busy_cycles} busy cycles, {self.ita.macs} MACs, "
            f"MAC utilisation {100 * self.ita.mac_utilisation:.1f}%",
            f"dma          {self.dma.transfers} transfers, {self.dma.bytes} bytes, {self.dma.busy_cycles} busy cycles",
            "hart  role  instructions  stall cycles      cycles  state",
        ]
        if self.handoff_instructions:
            lines.insert(5, f"hand-off     {self.handoff_instructions} instructions ran on the detailed engine (SSR/FREP code)")
        for h in self.harts:
            lines.append(f"{h.hart:>4}  {h.role:<4}  {h.instructions:>12}  {h.stall_cycles:>12}  {h.cycles:>10}  {h.state}")
        return "\n".join(lines)
