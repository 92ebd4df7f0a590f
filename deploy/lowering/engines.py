"""Engines: who runs a layer. Lowering offers every node group to the engines in order; the
first that accepts it lowers it into a Layer (or a View; a list of Layers; or None when another
group's layer does its work).

- "ita" (deploy/lowering/ita.py, decisions in ita_patterns.py): the groups ITA runs bit for bit
  (Linear steps, QK and A.V head by head, the fused QK-softmax-A.V head when the configured ITA
  computes the graph's softmax variant), as driver calls on the DMA core that stream the tiles
  through L1 with the DMA (deploy/csrc/deploy_ita.c). It goes first;
- "cores" (deploy/lowering/cores.py): the paper's baseline cluster, the compute cores running the
  integer kernels; the fallback for everything else.
"""

from __future__ import annotations

from typing import Protocol

from deploy.graph import Graph
from deploy.lowering.cores import CoreEngine, LoweringContext
from deploy.lowering.fusion import NodeGroup
from deploy.lowering.network import Layer, View

ITA_AVAILABLE = True
"""The simulator has the ITA peripheral and the DMA engine; the flow has an ITA engine."""

ITA_SOFTMAX_VARIANTS = ("ita-paper", "ita-current", "deeploy-itamax", "deeploy-itapartialmax", "quantlib-itapartialmax")
"""Softmax variants the simulated ITA can be configured with (iss.ita.SoftmaxVariant values);
`ita-paper` is the RTL at the paper's time, the others are named configuration options."""


class Engine(Protocol):
    name: str

    def accepts(self, group: NodeGroup, graph: Graph) -> bool: ...

    def lower(self, group: NodeGroup, ctx: LoweringContext) -> Layer | View | list[Layer] | None: ...


def available_engines(ita: bool = False, ita_softmax: str = "ita-paper") -> tuple[Engine, ...]:
    """Engines in the order they are offered a group: ITA first when `ita`, then the cores."""
    if not ita:
        return (CoreEngine(),)
    from deploy.lowering.ita import ItaEngine

    if ita_softmax not in ITA_SOFTMAX_VARIANTS:
        from deploy.errors import DeployError

        raise DeployError(f"unknown ITA softmax variant {ita_softmax!r} (one of {', '.join(ITA_SOFTMAX_VARIANTS)})")
    return (ItaEngine(ita_softmax), CoreEngine())
