"""Engines: who runs a layer. Lowering offers every node group to the engines in order; the
first that accepts it lowers it into a Layer (or a View).

Today there is one engine, "cores" (deploy/lowering/cores.py): the paper's baseline cluster, the
compute cores running the integer kernels. ITA is the next engine: a class with the same two
methods that accepts the groups it can run (Linear / Feedforward / Attention patterns, shapes
within its limits, the softmax variant it implements bit for bit, docs/ita-layouts.md) and
returns a Layer with engine "ita" whose steps are driver calls (jobs) instead of kernel calls,
plus the DMA transfers that bring its tiles to L1. It goes first in the list; the cores stay
the fallback for everything else. The simulator has no ITA peripheral and no DMA engine yet, so
`available_engines(ita=True)` returns the cores only, and the CLI says so.
"""

from __future__ import annotations

from typing import Protocol

from deploy.graph import Graph
from deploy.lowering.cores import CoreEngine, LoweringContext
from deploy.lowering.fusion import NodeGroup
from deploy.lowering.network import Layer, View

ITA_AVAILABLE = False
"""True once the simulator has the ITA peripheral and the flow an ITA engine."""


class Engine(Protocol):
    name: str

    def accepts(self, group: NodeGroup, graph: Graph) -> bool: ...

    def lower(self, group: NodeGroup, ctx: LoweringContext) -> Layer | View: ...


def available_engines(ita: bool = False) -> tuple[Engine, ...]:
    """Engines in the order they are offered a group. `ita` asks for ITA where it can run; until
    it exists, every group goes to the cores."""
    return (CoreEngine(),)
