"""Graph-to-graph passes that run before lowering: each takes a Graph and returns a new one
(the input graph is never changed, so the golden executor can still run the original).

- `fold_constants`: nodes whose inputs are all constants are evaluated once with the golden kernels.
- `canonicalize_add_operands`: Add is commutative; put the full-size operand first and the
  operand types in the order the kernels take them (bias-first Adds, u8 + s8, ...).
- `materialize_broadcasts`: constant operands whose broadcast the kernels cannot index
  (they index b[i % len] or mul[(i / inner) % len]) are expanded to a shape they can.

Helpers shared with the lowering rules: `broadcast_pattern`, `suffix_length`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from deploy.errors import DeployError
from deploy.golden import GOLDEN_KERNELS
from deploy.graph import Graph, Node, Tensor

GraphPass = Callable[[Graph], Graph]

ADD_VARIANTS = {("int8", "int8"): "s8s8", ("int8", "uint8"): "s8u8", ("uint8", "uint8"): "u8u8", ("int32", "int32"): "s32s32"}  # fmt: skip


def clone(graph: Graph) -> Graph:
    """A copy whose node list, nodes and tensor table may be changed freely (arrays are shared)."""
    nodes = [dataclasses.replace(n, inputs=list(n.inputs), outputs=list(n.outputs)) for n in graph.nodes]
    tensors = {name: dataclasses.replace(t) for name, t in graph.tensors.items()}
    return Graph(graph.name, nodes, list(graph.inputs), list(graph.outputs), tensors)


def broadcast_pattern(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, int] | None:
    """(length, inner) such that element i of `shape` broadcast to `target` (row-major) is element
    (i // inner) % length of the tensor; None if no such pair exists. (1, 1) for one element."""
    rank = len(target)
    if len(shape) > rank:
        return None
    padded = (1,) * (rank - len(shape)) + tuple(shape)
    axes = [i for i in range(rank) if padded[i] != 1]
    if not axes:
        return 1, 1
    first, last = axes[0], axes[-1]
    if any(padded[i] != target[i] for i in range(first, last + 1)):
        return None
    return int(np.prod(target[first : last + 1])), int(np.prod(target[last + 1 :], dtype=np.int64))


def suffix_length(shape: tuple[int, ...], target: tuple[int, ...]) -> int | None:
    """length if element i of `shape` broadcast to `target` is element i % length, else None."""
    pattern = broadcast_pattern(shape, target)
    if pattern is None:
        return None
    length, inner = pattern
    return length if length == 1 or inner == 1 else None


def _expand_to_suffix(values: np.ndarray, target: tuple[int, ...]) -> np.ndarray:
    """`values` broadcast to the trailing axes of `target` from its first non-1 axis on, so that
    element i of the broadcast is element i % size of the result."""
    rank = len(target)
    padded = values.reshape((1,) * (rank - values.ndim) + values.shape)
    first = next((i for i in range(rank) if padded.shape[i] != 1), rank)
    return np.ascontiguousarray(np.broadcast_to(padded[(0,) * first], target[first:]))


def _new_constant(graph: Graph, base: str, values: np.ndarray, dtype: np.dtype) -> str:
    name, index = base, 1
    while name in graph.tensors:
        name, index = f"{base}#{index}", index + 1
    graph.tensors[name] = Tensor(name, tuple(values.shape), np.dtype(dtype), values.astype(dtype))
    return name


# ------------------------------------------------------------------ passes


def fold_constants(graph: Graph) -> Graph:
    """Evaluate nodes whose inputs are all constants (e.g. a Reshape of a weight) at compile time."""
    graph = clone(graph)
    kept = []
    for node in graph.nodes:
        if all(graph.tensor(name).is_constant for name in node.inputs):
            try:
                result = GOLDEN_KERNELS[node.op_type](node.attrs, *(graph.tensor(n).data for n in node.inputs))
            except (ValueError, IndexError) as error:
                raise DeployError(f"{node.describe()}: {error}") from None
            out = graph.tensor(node.outputs[0])
            out.data = np.asarray(result).astype(np.int64).astype(out.dtype).reshape(out.shape)
        else:
            kept.append(node)
    graph.nodes = kept
    return graph


def canonicalize_add_operands(graph: Graph) -> Graph:
    """Add(a, b) -> Add(b, a) when only the swapped order has the full-size operand first and a
    kernel for the operand types (kernel_add_{s8s8,s8u8,u8u8,s32s32}(a, b) with b broadcast)."""
    graph = clone(graph)

    def fits(first: str, second: str, out: Tensor) -> bool:
        a, b = graph.tensor(first), graph.tensor(second)
        return a.size == out.size and (str(a.dtype), str(b.dtype)) in ADD_VARIANTS

    for node in graph.nodes:
        if node.op_type == "Add" and len(node.inputs) == 2:
            out = graph.tensor(node.outputs[0])
            a, b = node.inputs
            if not fits(a, b, out) and fits(b, a, out):
                node.inputs = [b, a]
    return graph


def materialize_broadcasts(graph: Graph) -> Graph:
    """Expand constant operands whose broadcast the kernels cannot index:
    Add's b and iNoNorm's weights/bias must repeat along the leading axes (index i % len);
    RequantShift's mul and add must be per tensor or per channel block with one common `inner`."""
    graph = clone(graph)

    def expand(node: Node, position: int, target: tuple[int, ...]) -> None:
        tensor = graph.tensor(node.inputs[position])
        if not tensor.is_constant:
            raise DeployError(
                f"{node.describe()}: operand '{tensor.name}' {tensor.shape} broadcasts to {target} in a way no "
                "kernel indexes, and it is not a constant that could be expanded"
            )
        values = _expand_to_suffix(tensor.data, target)
        node.inputs[position] = _new_constant(graph, f"{tensor.name}@{node.name}", values, tensor.dtype)

    for node in graph.nodes:
        out = graph.tensor(node.outputs[0]).shape
        if node.op_type == "Add" and len(node.inputs) == 2:
            if suffix_length(graph.tensor(node.inputs[1]).shape, out) is None:
                expand(node, 1, out)
        elif node.op_type == "iNoNorm":
            for position in (1, 2):
                if suffix_length(graph.tensor(node.inputs[position]).shape, out) is None:
                    expand(node, position, out)
        elif node.op_type == "RequantShift":
            patterns = [broadcast_pattern(graph.tensor(node.inputs[p]).shape, out) for p in (1, 2)]
            channel = [p for p in patterns if p is not None and p[0] > 1]
            if None in patterns or len({inner for _, inner in channel}) > 1:
                for position, pattern in zip((1, 2), patterns):
                    if pattern is None or pattern[0] > 1:
                        expand(node, position, out)
    return graph


GRAPH_PASSES: tuple[GraphPass, ...] = (fold_constants, canonicalize_add_operands, materialize_broadcasts)
