"""What lowering produces: layers (each on one engine, a list of barrier-separated steps of kernel
calls), views (tensors that are another tensor's bytes), and the tensors they use."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploy.graph import Tensor
from deploy.lowering.calls import KernelCall

CORES = "cores"
"""The engine of the paper's baseline cluster: the compute cores run firmware/kernels."""
ITA = "ita"
"""The attention accelerator (not available yet: see deploy/lowering/engines.py)."""

Step = tuple[KernelCall, ...]
"""Kernel calls that run between two barriers; their outputs must be disjoint."""


@dataclass(frozen=True)
class View:
    """`tensor` is `source`'s bytes from `offset` on (Reshape, Flatten, Squeeze, Unsqueeze,
    Identity, a Transpose that moves only size-1 axes, a Gather of one index along an axis with
    nothing before it): no code, no buffer of its own."""

    tensor: str
    source: str
    offset: int = 0
    node: str = ""


@dataclass
class Layer:
    """One row of the per-layer report: graph nodes mapped onto one engine.

    `steps` run in order with a hardware barrier after each; run_network() adds the barrier after
    the last one. `dma_bytes` is what the layer moves with the DMA (0 until the DMA exists)."""

    name: str
    engine: str
    nodes: tuple[str, ...]
    op_types: tuple[str, ...]
    steps: list[Step]
    dma_bytes: int = 0

    @property
    def macs(self) -> int:
        return sum(call.macs for step in self.steps for call in step)

    @property
    def kind(self) -> str:
        return "+".join(self.op_types)

    def calls(self) -> list[KernelCall]:
        return [call for step in self.steps for call in step]

    def kernel_calls(self) -> list[KernelCall]:
        """The kernel calls, with a tiled call's kernel in its place."""
        return [call.unwrapped() for call in self.calls()]


@dataclass
class LoweredNetwork:
    """The network as layers; `tensors` holds the graph's tensors plus those lowering added
    (scratch buffers, re-laid constants). `outputs` are the tensors written into the output
    arrays, `graph_outputs` the graph's output names in the same order (they differ where a copy
    layer writes the output)."""

    name: str
    tensors: dict[str, Tensor]
    inputs: list[str]
    outputs: list[str]
    layers: list[Layer] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    graph_outputs: list[str] = field(default_factory=list)
    graph_nodes: int = 0
    ita_region: object | None = None  # deploy.lowering.ita.ItaRegion: ITA's tile slots in the L1 work region
    tiling: object | None = None  # deploy.tiling.TilingReport: the cores' calls run through L1 tiles

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def work_region_bytes(self) -> int:
        """The L1 work region: ITA layers and the cores' tiled calls use it one layer at a time."""
        return max(self.ita_region.bytes if self.ita_region else 0, self.tiling.work_bytes if self.tiling else 0)

    def root(self, name: str) -> tuple[str, int]:
        """(tensor that owns the bytes, byte offset) of a possibly viewed tensor."""
        offset = 0
        while name in self.views:
            view = self.views[name]
            offset += view.offset
            name = view.source
        return name, offset

    def constants(self) -> list[Tensor]:
        used = {self.root(n)[0] for layer in self.layers for call in layer.calls() for n in (*call.reads(), *call.writes())}
        return [t for name, t in self.tensors.items() if t.is_constant and name in used]

    def engines(self) -> list[str]:
        return sorted({layer.engine for layer in self.layers})
