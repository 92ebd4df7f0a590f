"""Deeploy test folders (network.onnx, inputs.npz, outputs.npz) as typed import + data, Deeploy's way.

npz arrays are matched to graph inputs/outputs by position (`.files` order; surplus input arrays,
which some tests carry as copies of initializers, are ignored as Deeploy ignores them); they are often stored
as int64/float, so graph inputs get the narrowest integer type holding the data (unsigned first,
Deeploy's test-data rule) and expected outputs are cast exactly to the output tensor's type
(unsigned outputs in their true 0..n-1 domain, as the Snitch target keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deploy.errors import DeployError
from deploy.graph import Graph, Tensor
from deploy.integers import fits, minimal_integer_dtype, to_int64
from deploy.onnx_import import graph_input_names, load_onnx


@dataclass
class ConformanceCase:
    """An imported test network with its input data and expected outputs, by graph tensor name."""

    folder: Path
    graph: Graph
    inputs: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]


def _arrays(path: Path) -> list[np.ndarray]:
    with np.load(path) as archive:
        arrays = [archive[name] for name in archive.files]
    try:
        return [to_int64(a) for a in arrays]
    except ValueError as error:
        raise DeployError(f"{path}: {error}") from None


def _expected(tensor: Tensor, values: np.ndarray, source: Path) -> np.ndarray:
    if values.size != tensor.size or not fits(values, tensor.dtype):
        raise DeployError(f"{source}: output '{tensor.name}' data does not fit {tensor.dtype}{list(tensor.shape)}")
    return values.astype(tensor.dtype).reshape(tensor.shape)


def load_conformance_case(folder: str | Path) -> ConformanceCase:
    folder = Path(folder)
    inputs = _arrays(folder / "inputs.npz")
    outputs = _arrays(folder / "outputs.npz")
    input_names = graph_input_names(folder / "network.onnx")
    if len(inputs) < len(input_names):
        raise DeployError(f"{folder}: {len(inputs)} input arrays for {len(input_names)} graph inputs")
    inputs = inputs[: len(input_names)]  # surplus arrays (copies of initializers) are ignored, as Deeploy does
    graph = load_onnx(folder / "network.onnx", {n: minimal_integer_dtype(a) for n, a in zip(input_names, inputs)})
    if len(graph.outputs) != len(outputs):
        raise DeployError(f"{folder}: {len(outputs)} output arrays for {len(graph.outputs)} graph outputs")
    expected = {
        name: _expected(graph.tensor(name), values, folder / "outputs.npz")
        for name, values in zip(graph.outputs, outputs)
    }
    return ConformanceCase(folder, graph, dict(zip(graph.inputs, inputs)), expected)
