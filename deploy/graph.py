"""The one graph representation of the deployment flow: typed tensors, nodes in topological order, a graph.

Deploy passes are small functions over these dataclasses. Tensor values are integers; a tensor's
dtype is the C type of its buffer (int8, uint8, int32, ...), and unsigned tensors hold their true,
non-negative values (no sign-propagation offset).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deploy.operators.base import OpAttributes


@dataclass
class Tensor:
    """A named integer tensor; `data` is set for constants (initializers) and None for activations."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype
    data: np.ndarray | None = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def signed(self) -> bool:
        return self.dtype.kind == "i"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Node:
    """One operator application; `attrs` is the operator's typed attribute dataclass."""

    op_type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: OpAttributes
    domain: str = ""

    def describe(self) -> str:
        return f"node '{self.name}' ({self.op_type})"


@dataclass
class Graph:
    """Nodes in topological order, graph inputs/outputs by tensor name, every tensor by name."""

    name: str
    nodes: list[Node]
    inputs: list[str]
    outputs: list[str]
    tensors: dict[str, Tensor] = field(default_factory=dict)

    def tensor(self, name: str) -> Tensor:
        return self.tensors[name]

    def producer(self, tensor_name: str) -> Node | None:
        return next((n for n in self.nodes if tensor_name in n.outputs), None)

    def consumers(self, tensor_name: str) -> list[Node]:
        return [n for n in self.nodes if tensor_name in n.inputs]

    def constants(self) -> list[Tensor]:
        return [t for t in self.tensors.values() if t.is_constant]

    def op_types(self) -> list[str]:
        return sorted({n.op_type for n in self.nodes})

    def check_topological(self) -> None:
        """Raise ValueError unless every node input is a graph input, a constant or an earlier output."""
        available = set(self.inputs) | {t.name for t in self.constants()}
        for node in self.nodes:
            missing = [i for i in node.inputs if i not in available]
            if missing:
                raise ValueError(f"{node.describe()}: input '{missing[0]}' is not computed before it")
            available.update(node.outputs)
        for name in self.outputs:
            if name not in available:
                raise ValueError(f"graph output '{name}' is never computed")
