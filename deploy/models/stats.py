"""Work and size of a graph: multiply-accumulates per node, parameters, GOp per inference.

MACs are counted for the operators that multiply two tensors: MatMul (batched, broadcasting),
Gemm and Conv. Elementwise and normalisation operators are not counted (they are O(S*E) against
the O(S*E^2) of the linears). One MAC = 2 Op, the convention of the paper's GOp figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx

from deploy.graph import Graph, Node

MAC_OPS = ("MatMul", "Gemm", "Conv")


def _graph(model: Graph | onnx.ModelProto) -> Graph:
    if isinstance(model, onnx.ModelProto):
        from deploy.onnx_import import import_model

        return import_model(model)
    return model


def node_macs(graph: Graph, node: Node) -> int:
    """MACs of one node (0 for operators without a reduction)."""
    if node.op_type not in MAC_OPS:
        return 0
    a = graph.tensor(node.inputs[0]).shape
    w = graph.tensor(node.inputs[1]).shape
    out = graph.tensor(node.outputs[0]).shape
    outputs = int(np.prod(out, dtype=np.int64))
    if node.op_type == "MatMul":
        return outputs * a[-1]
    if node.op_type == "Gemm":
        return outputs * (a[0] if node.attrs.trans_a else a[1])
    # Conv: every output element reduces over C_in/group x kernel
    return outputs * int(np.prod(w[1:], dtype=np.int64))


def macs_by_node(model: Graph | onnx.ModelProto) -> dict[str, int]:
    """MACs of every MAC-carrying node, by node name, in execution order."""
    graph = _graph(model)
    return {n.name: node_macs(graph, n) for n in graph.nodes if n.op_type in MAC_OPS}


def count_macs(model: Graph | onnx.ModelProto) -> int:
    """Total multiply-accumulates of one inference."""
    graph = _graph(model)
    return sum(node_macs(graph, n) for n in graph.nodes)


def count_parameters(model: Graph | onnx.ModelProto) -> int:
    """Elements of the constant operands of MatMul/Gemm/Conv (the weights; biases not included)."""
    graph = _graph(model)
    seen = set()
    total = 0
    for node in graph.nodes:
        if node.op_type in MAC_OPS:
            for name in node.inputs[:2]:
                tensor = graph.tensor(name)
                if tensor.is_constant and name not in seen:
                    seen.add(name)
                    total += tensor.size
    return total


@dataclass(frozen=True)
class GraphStats:
    macs: int
    parameters: int
    nodes: int

    @property
    def gop(self) -> float:
        """Giga-operations per inference (2 Op per MAC)."""
        return 2 * self.macs / 1e9


def graph_stats(model: Graph | onnx.ModelProto) -> GraphStats:
    graph = _graph(model)
    return GraphStats(count_macs(graph), count_parameters(graph), len(graph.nodes))
