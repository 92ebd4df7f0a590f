"""Run a Graph on integer inputs with the golden kernels, node by node, like the generated C would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from deploy.errors import DeployError
from deploy.golden.registry import GOLDEN_KERNELS
from deploy.graph import Graph, Node, Tensor
from deploy.integers import fits


@dataclass(frozen=True)
class NodeRecord:
    """What one node produced: value range and how many elements the typed store wrapped."""

    node: str
    op_type: str
    output: str
    dtype: np.dtype
    minimum: int
    maximum: int
    wrapped: int


@dataclass
class GoldenRun:
    """Graph outputs, every activation by tensor name, and one record per node in execution order."""

    outputs: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    records: list[NodeRecord]


def typed_input(tensor: Tensor, values) -> np.ndarray:
    """Input data as the tensor's C type; the values must fit and the element count must match."""
    array = np.asarray(values)
    if array.size != tensor.size:
        raise DeployError(f"graph input '{tensor.name}': {array.shape} given, {tensor.shape} expected")
    if array.dtype.kind == "f" and np.any(array != np.round(array)):
        raise DeployError(f"graph input '{tensor.name}' holds non-integer values")
    if not fits(array, tensor.dtype):
        raise DeployError(f"graph input '{tensor.name}' does not fit {tensor.dtype}")
    return array.astype(np.int64).astype(tensor.dtype).reshape(tensor.shape)


def _store(node: Node, tensor: Tensor, result: np.ndarray) -> tuple[np.ndarray, int]:
    result = np.asarray(result)
    if tuple(result.shape) != tensor.shape:
        raise DeployError(f"{node.describe()}: computed shape {tuple(result.shape)} != declared {tensor.shape}")
    wide = result.astype(np.int64)
    stored = wide.astype(tensor.dtype)
    return stored, int(np.count_nonzero(stored.astype(np.int64) != wide))


def run_golden(graph: Graph, inputs: Mapping[str, np.ndarray]) -> GoldenRun:
    """Execute `graph`; `inputs` maps every graph input name to its data."""
    missing = [name for name in graph.inputs if name not in inputs]
    if missing:
        raise DeployError(f"graph input '{missing[0]}' not given")
    values = {name: typed_input(graph.tensor(name), inputs[name]) for name in graph.inputs}
    values.update({t.name: t.data for t in graph.constants()})
    records = []
    for node in graph.nodes:
        kernel = GOLDEN_KERNELS.get(node.op_type)
        if kernel is None:
            raise DeployError(f"{node.describe()}: no golden kernel")
        try:
            result = kernel(node.attrs, *(values[name] for name in node.inputs))
        except (ValueError, IndexError) as error:
            raise DeployError(f"{node.describe()}: {error}") from None
        tensor = graph.tensor(node.outputs[0])
        stored, wrapped = _store(node, tensor, result)
        values[tensor.name] = stored
        wide = stored.astype(np.int64)
        low, high = (int(wide.min()), int(wide.max())) if wide.size else (0, 0)
        records.append(NodeRecord(node.name, node.op_type, tensor.name, tensor.dtype, low, high, wrapped))
    return GoldenRun({name: values[name] for name in graph.outputs}, values, records)
