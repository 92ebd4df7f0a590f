"""What every hart engine offers the cluster scheduler."""

import enum
from dataclasses import dataclass

from .sim_csrs import SimCsrs


class HartState(enum.Enum):
    RUNNING = "running"
    BARRIER = "waiting at the cluster barrier"
    WFI = "asleep in wfi"
    EXITED = "exited"
    PARKED = "parked"  # hart not started (more compute cores configured away)


@dataclass
class Stop:
    """Why a hart's emulation stopped inside a quantum: where it resumes and its exact count."""

    pc: int
    instret: int


class HartBase:
    """Timing and scheduling state common to both engines.

    A hart's local time is `instret + stall_cycles`: one cycle per retired instruction plus
    modelled waits (barrier, wfi). The scheduler runs harts in a fixed order with fixed
    instruction quanta, so every run of the same ELF and configuration is identical.
    """

    def __init__(self, hart_id: int, cluster):
        self.hart_id = hart_id
        self.cluster = cluster
        self.state = HartState.RUNNING
        self.stall_cycles = 0
        self.barrier_arrival = 0
        self.wait_pc = 0
        self.sim_csrs = SimCsrs(hart_id)

    @property
    def instret(self) -> int:
        raise NotImplementedError

    @property
    def cycles(self) -> int:
        return self.instret + self.stall_cycles

    def advance_to(self, time: int) -> None:
        """Wait (stall) until local time `time` if it is in this hart's future."""
        if time > self.cycles:
            self.stall_cycles += time - self.cycles
