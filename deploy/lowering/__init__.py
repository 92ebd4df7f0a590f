"""Lowering: from the Graph to layers of kernel calls.

    graph --fold_constants--> --canonicalize_add_operands--> --materialize_broadcasts-->   (passes.py)
          --group_layers-->  node groups                                                 (fusion.py)
          --engine.lower--> layers / views                                               (cores.py, engines.py)
          --bind_outputs--> copy layers where a graph output cannot be written in place

`lower(graph)` runs them all and returns a LoweredNetwork; memory allocation (deploy.memory) and
code generation (deploy.codegen) come after.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploy.errors import DeployError
from deploy.graph import Graph, Tensor
from deploy.lowering import calls
from deploy.lowering.cores import CoreEngine, LoweringContext
from deploy.lowering.engines import Engine, available_engines
from deploy.lowering.fusion import NodeGroup, group_layers
from deploy.lowering.network import CORES, ITA, Layer, LoweredNetwork, Step, View
from deploy.lowering.passes import GRAPH_PASSES

__all__ = [
    "CORES",
    "ITA",
    "CoreEngine",
    "Engine",
    "Layer",
    "LoweredNetwork",
    "NodeGroup",
    "Step",
    "View",
    "available_engines",
    "bind_outputs",
    "calls",
    "group_layers",
    "lower",
    "run_graph_passes",
]


def run_graph_passes(graph: Graph) -> Graph:
    for graph_pass in GRAPH_PASSES:
        graph = graph_pass(graph)
    return graph


def lower(graph: Graph, engines: Sequence[Engine] | None = None) -> LoweredNetwork:
    """The graph as layers on the given engines (default: available_engines())."""
    engines = tuple(engines or available_engines())
    source_nodes = len(graph.nodes)
    graph = run_graph_passes(graph)
    network = LoweredNetwork(graph.name, dict(graph.tensors), list(graph.inputs), list(graph.outputs),
                             graph_outputs=list(graph.outputs), graph_nodes=source_nodes)  # fmt: skip
    ctx = LoweringContext(graph, network)
    for group in group_layers(graph):
        engine = next((e for e in engines if e.accepts(group, graph)), engines[-1])
        result = engine.lower(group, ctx)
        if result is None:  # done by another group's layer (ITA absorbed it)
            continue
        if isinstance(result, View):
            network.views[result.tensor] = result
        elif isinstance(result, list):
            network.layers.extend(result)
        else:
            network.layers.append(result)
    bind_outputs(network)
    check_order(network)
    return network


def bind_outputs(network: LoweredNetwork) -> None:
    """Every graph output gets a buffer of its own (network_output_<k>): the layer computing it
    writes there directly when it can; a copy layer is added when the output is a constant, a graph
    input, part of a larger buffer (a view with an offset) or the same bytes as another output."""
    bound: set[str] = set()
    for index, name in enumerate(network.outputs):
        root, offset = network.root(name)
        tensor, owner = network.tensors[name], network.tensors[root]
        whole = offset == 0 and tensor.size * tensor.dtype.itemsize == owner.size * owner.dtype.itemsize
        if whole and not owner.is_constant and root not in network.inputs and root not in bound:
            bound.add(root)
            continue
        copy = f"{name}@output"
        network.tensors[copy] = Tensor(copy, tensor.shape, tensor.dtype)
        step = (calls.CopyCall(name, copy, tensor.size * tensor.dtype.itemsize),)
        network.layers.append(Layer(f"{name} (copy to output {index})", CORES, (), ("Copy",), [step]))
        network.outputs[index] = copy
        bound.add(copy)


def check_order(network: LoweredNetwork) -> None:
    """Every call reads only graph inputs, constants and results of earlier steps."""
    ready = set(network.inputs) | {name for name, t in network.tensors.items() if t.is_constant}
    for layer in network.layers:
        for step in layer.steps:
            for call in step:
                missing = [n for n in call.reads() if network.root(n)[0] not in ready and n not in ready]
                if missing:
                    raise DeployError(f"layer '{layer.name}': '{missing[0]}' is read before it is computed")
            for call in step:
                for name in call.writes():
                    ready.add(name)
                    ready.add(network.root(name)[0])
