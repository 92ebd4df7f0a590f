"""Fusion pass: cut the graph's nodes into groups, one per layer.

A group is what one engine runs as a unit between layer barriers (Deeploy's "layer"):
- a MatMul and the Add of its bias (the Add's other operand an int32 tensor), when the MatMul's
  result feeds nothing else: the cores run them as one Gemm with a bias, ITA as one Linear job;
- followed by the RequantShift that is the only consumer of an int32 result (MatMul, Gemm,
  Conv, Add, iGELU, iHardswish, ...): the requantization of an accumulator belongs to the
  layer that produced it (ITA requantizes inside each job);
- the residual block RequantShift(Add(RequantShift(a), RequantShift(b))) [-> iNoNorm] (residual.py):
  one layer, placed where its Add is (the input RequantShifts wait for it: the Add is their only
  consumer), which the cores run as one kernel;
- every other node alone.

A node is only pulled into an earlier group when everything else it reads is available by then
(constants, graph inputs, results of earlier groups), so the groups stay in a topological order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deploy.graph import Graph, Node
from deploy.lowering.residual import find_residuals

VIEW_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})
ACCUMULATOR = np.dtype(np.int32)


@dataclass(frozen=True)
class NodeGroup:
    nodes: tuple[Node, ...]
    label: str = ""  # the name when the node names do not give one (a residual block: its Add's)

    @property
    def op_types(self) -> tuple[str, ...]:
        return tuple(n.op_type for n in self.nodes)

    @property
    def name(self) -> str:
        """`P` when the nodes are named `P_<op type>` (the zoo's and QuantLib's habit), else the
        first node's name."""
        if self.label:
            return self.label
        first = self.nodes[0]
        if len(self.nodes) > 1:
            suffix = f"_{first.op_type}"
            if first.name.endswith(suffix):
                prefix = first.name[: -len(suffix)]
                if prefix and all(n.name == f"{prefix}_{n.op_type}" for n in self.nodes):
                    return prefix
        return first.name


def group_layers(graph: Graph) -> list[NodeGroup]:
    consumers: dict[str, list[Node]] = {}
    for node in graph.nodes:
        for name in node.inputs:
            consumers.setdefault(name, []).append(node)
    outputs = set(graph.outputs)
    available = set(graph.inputs) | {t.name for t in graph.constants()}
    done: set[str] = set()
    residuals = find_residuals(graph)
    waiting = {rq.name for residual in residuals.values() for rq in residual.requants}

    def sole_consumer(node: Node) -> Node | None:
        result = node.outputs[0]
        users = consumers.get(result, [])
        if result in outputs or len(users) != 1 or users[0].name in done:
            return None
        user = users[0]
        if user.inputs.count(result) != 1:
            return None
        others = [i for i in user.inputs if i != result]
        return user if all(i in available for i in others) else None

    groups = []
    for node in graph.nodes:
        if node.name in done or node.name in waiting:
            continue
        residual = residuals.get(node.name)
        chain = list(residual.nodes) if residual else [node]
        done.update(member.name for member in chain)
        if residual is None and node.op_type not in VIEW_OPS:
            current = node
            if node.op_type == "MatMul":
                user = sole_consumer(node)
                if user is not None and user.op_type == "Add":
                    other = next(i for i in user.inputs if i != node.outputs[0])
                    if graph.tensor(other).dtype == ACCUMULATOR:
                        chain.append(user)
                        done.add(user.name)
                        current = user
            if graph.tensor(current.outputs[0]).dtype == ACCUMULATOR:
                user = sole_consumer(current)
                if user is not None and user.op_type == "RequantShift" and user.inputs[0] == current.outputs[0]:
                    chain.append(user)
                    done.add(user.name)
        for member in chain:
            available.update(member.outputs)
        groups.append(NodeGroup(tuple(chain), _residual_label(residual.add) if residual else ""))
    return groups


def _residual_label(add: Node) -> str:
    return add.name[: -len("_Add")] if add.name.endswith("_Add") and len(add.name) > 4 else add.name
