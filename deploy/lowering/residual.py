"""Residual fusion: find `y = RequantShift(Add(RequantShift(a), RequantShift(b)))` [-> iNoNorm],
the residual block the zoo's builder (deploy/models/transformer.py `residual`) and QuantLib's
exports (Deeploy's Add/Regular_RQ test) emit, so that fusion.group_layers makes it one layer and
the cores run it as one kernel (kernel_residual_requant_*): one pass over the data instead of four.

A pattern is taken only when the fused kernel computes exactly what the separate kernels do:
- each input RequantShift has the Add as its only consumer (its result is no graph output) and
  reads an 8-bit tensor of the Add's size (no broadcast), with per-tensor constant mul and add;
- the Add's int32 result feeds only the output RequantShift (per-tensor constant mul and add);
- the iNoNorm is pulled in when it is the output RequantShift's only consumer, reads its int8
  result as x and has constant weights/bias the kernel can index (i % len): the lowering folds
  its multiplier into them (residual_tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deploy.graph import Graph, Node
from deploy.lowering.passes import suffix_length

EIGHT_BIT = (np.dtype(np.int8), np.dtype(np.uint8))
INT8, INT32 = np.dtype(np.int8), np.dtype(np.int32)
OP_TYPES = ("RequantShift", "RequantShift", "Add", "RequantShift")
"""The fused group's op types (plus "iNoNorm" when the norm is pulled in)."""


@dataclass(frozen=True)
class Residual:
    requants: tuple[Node, Node]  # the input RequantShifts, in the Add's operand order
    add: Node
    requant: Node
    norm: Node | None

    @property
    def nodes(self) -> tuple[Node, ...]:
        return (*self.requants, self.add, self.requant) + (
            (self.norm,) if self.norm else ()
        )


def is_residual_group(op_types: tuple[str, ...]) -> bool:
    return op_types in (OP_TYPES, (*OP_TYPES, "iNoNorm"))


def find_residuals(graph: Graph) -> dict[str, Residual]:
    """The fusable residual patterns, by the name of their Add."""
    consumers: dict[str, list[Node]] = {}
    for node in graph.nodes:
        for name in node.inputs:
            consumers.setdefault(name, []).append(node)
    outputs = set(graph.outputs)

    def only_consumer(tensor: str) -> Node | None:
        users = consumers.get(tensor, [])
        if tensor in outputs or len(users) != 1 or users[0].inputs.count(tensor) != 1:
            return None
        return users[0]

    def per_tensor(node: Node) -> bool:
        params = [graph.tensor(n) for n in node.inputs[1:3]]
        return all(t.is_constant and t.size == 1 and t.dtype == INT32 for t in params)

    def input_requant(tensor: str, add: Node) -> Node | None:
        node = graph.producer(tensor)
        if (
            node is None
            or node.op_type != "RequantShift"
            or only_consumer(tensor) is not add
        ):
            return None
        x = graph.tensor(node.inputs[0])
        if (
            x.dtype not in EIGHT_BIT
            or graph.tensor(tensor).dtype not in EIGHT_BIT
            or not per_tensor(node)
        ):
            return None
        return node if x.size == graph.tensor(add.outputs[0]).size else None

    def norm_after(requant: Node) -> Node | None:
        result = requant.outputs[0]
        norm = only_consumer(result)
        if norm is None or norm.op_type != "iNoNorm" or norm.inputs[0] != result:
            return None
        y, w, b = (graph.tensor(n) for n in (norm.outputs[0], *norm.inputs[1:3]))
        if (
            graph.tensor(result).dtype != INT8
            or y.dtype != INT8
            or w.dtype != INT8
            or b.dtype != INT32
        ):
            return None
        if (
            suffix_length(w.shape, y.shape) is None
            or suffix_length(b.shape, y.shape) is None
        ):
            return None
        return norm if w.is_constant and b.is_constant else None

    found: dict[str, Residual] = {}
    for add in graph.nodes:
        if (
            add.op_type != "Add"
            or len(add.inputs) != 2
            or add.inputs[0] == add.inputs[1]
        ):
            continue
        requants = tuple(input_requant(t, add) for t in add.inputs)
        total = add.outputs[0]
        if None in requants or graph.tensor(total).dtype != INT32:
            continue
        requant = only_consumer(total)
        if (
            requant is None
            or requant.op_type != "RequantShift"
            or requant.inputs[0] != total
            or not per_tensor(requant)
        ):
            continue
        if graph.tensor(requant.outputs[0]).dtype not in EIGHT_BIT:
            continue
        found[add.name] = Residual(
            requants, add, requant, norm_after(requant)
        )  # type: ignore[arg-type]
    return found
