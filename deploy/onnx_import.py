"""Load an integer ONNX network (Deeploy/QuantLib format) into the flow's Graph.

Custom-domain operators are read like standard ones; attributes become typed dataclasses;
initializers (QuantLib stores integers as floats) become integer numpy arrays. Anything the
flow cannot handle raises one DeployError naming the file and node, e.g.
`network.onnx: node 'Conv_3' (Conv): operator not supported`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import DTypeLike
from onnx import helper, numpy_helper

from deploy.errors import DeployError
from deploy.graph import Graph, Node, Tensor
from deploy.integers import to_int64
from deploy.operators import OPERATORS, AttributeReader
from deploy.type_inference import infer_dtypes


def load_onnx(path: str | Path, input_dtypes: Mapping[str, DTypeLike] | None = None) -> Graph:
    """Read `path`; `input_dtypes` gives the C type of graph inputs (required for float-declared ones)."""
    return import_model(_read(path), str(path), input_dtypes)


def import_model(
    model: onnx.ModelProto, source: str = "<model>", input_dtypes: Mapping[str, DTypeLike] | None = None
) -> Graph:
    """Like load_onnx for an in-memory model; `source` names it in error messages."""
    return _import_graph(model.graph, source, dict(input_dtypes or {}))


def graph_input_names(path: str | Path) -> list[str]:
    """Names of the graph inputs that are not initializers, in file order."""
    graph = _read(path).graph
    constants = {t.name for t in graph.initializer}
    return [v.name for v in graph.input if v.name not in constants]


def _read(path: str | Path) -> onnx.ModelProto:
    try:
        return onnx.load(str(path))
    except Exception as error:  # noqa: BLE001 - onnx raises several unrelated types
        raise DeployError(f"{path}: cannot read ONNX file ({type(error).__name__}: {error})") from None


def _import_graph(proto: onnx.GraphProto, where: str, input_dtypes: dict) -> Graph:
    constants = {t.name: _constant(t, where) for t in proto.initializer}
    shapes = _declared_shapes(proto)
    shapes.update({name: values.shape for name, values in constants.items()})
    nodes = []
    for index, node_proto in enumerate(proto.node):
        if node_proto.op_type == "Constant":
            name, values = _constant_node(node_proto, where)
            constants[name], shapes[name] = values, values.shape
        else:
            nodes.append(_node(node_proto, index, where))
    inputs = [v.name for v in proto.input if v.name not in constants]
    outputs = [v.name for v in proto.output]
    nodes = _topological(nodes, set(inputs) | set(constants), where)
    dtypes = _dtypes(proto, nodes, inputs, constants, input_dtypes, where)
    for node in nodes:
        _check_node_shapes(node, shapes, constants, where)
    unshaped = [name for name in dtypes if name not in shapes]
    if unshaped:
        raise DeployError(f"{where}: tensor '{unshaped[0]}' has no static shape in the file (no shape inference)")
    tensors = {name: Tensor(name, tuple(shapes[name]), dtypes[name]) for name in dtypes}
    for name, values in constants.items():
        tensors[name].data = values.astype(dtypes[name])
    graph = Graph(name=proto.name or Path(where).stem, nodes=nodes, inputs=inputs, outputs=outputs, tensors=tensors)
    try:
        graph.check_topological()
    except ValueError as error:
        raise DeployError(f"{where}: {error}") from None
    return graph


def _constant(proto: onnx.TensorProto, where: str) -> np.ndarray:
    try:
        return to_int64(numpy_helper.to_array(proto))
    except ValueError as error:
        raise DeployError(f"{where}: initializer '{proto.name}' {error}") from None


def _constant_node(proto: onnx.NodeProto, where: str) -> tuple[str, np.ndarray]:
    value = {a.name: _attribute_value(a) for a in proto.attribute}
    payload = value.get("value", value.get("value_int", value.get("value_ints")))
    if payload is None:
        raise DeployError(f"{where}: node '{proto.name}' (Constant): only integer values are supported")
    try:
        return proto.output[0], to_int64(np.asarray(payload))
    except ValueError as error:
        raise DeployError(f"{where}: node '{proto.name}' (Constant): {error}") from None


def _declared_shapes(proto: onnx.GraphProto) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for info in (*proto.input, *proto.output, *proto.value_info):
        tensor_type = info.type.tensor_type
        if not tensor_type.HasField("shape"):
            continue
        dims = tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = tuple(int(d.dim_value) for d in dims)
    return shapes


def _attribute_value(proto: onnx.AttributeProto) -> object:
    value = helper.get_attribute_value(proto)
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return tuple(v.decode() if isinstance(v, bytes) else v for v in value)
    return value


def _node(proto: onnx.NodeProto, index: int, where: str) -> Node:
    name = proto.name or f"{proto.op_type}_{index}"
    prefix = f"{where}: node '{name}' ({proto.op_type})"
    spec = OPERATORS.get(proto.op_type)
    if spec is None:
        raise DeployError(f"{prefix}: operator not supported")
    inputs = list(proto.input)
    while inputs and not inputs[-1]:
        inputs.pop()
    low, high = spec.arity
    if "" in inputs or not low <= len(inputs) <= high:
        raise DeployError(f"{prefix}: {len(proto.input)} inputs given, {low}..{high} supported (none empty)")
    if len(proto.output) != 1:
        raise DeployError(f"{prefix}: {len(proto.output)} outputs, only one is supported")
    try:
        attrs = spec.from_attributes(AttributeReader({a.name: _attribute_value(a) for a in proto.attribute}))
    except ValueError as error:
        raise DeployError(f"{prefix}: {error}") from None
    return Node(proto.op_type, name, inputs, list(proto.output), attrs, proto.domain)


def _topological(nodes: list[Node], available: set[str], where: str) -> list[Node]:
    """Stable topological order (ONNX files are usually sorted already)."""
    ordered, pending, available = [], list(nodes), set(available)
    while pending:
        ready = next((n for n in pending if all(i in available for i in n.inputs)), None)
        if ready is None:
            node = pending[0]
            missing = next(i for i in node.inputs if i not in available)
            raise DeployError(f"{where}: {node.describe()}: input '{missing}' is never computed (or a cycle)")
        pending.remove(ready)
        ordered.append(ready)
        available.update(ready.outputs)
    return ordered


def _dtypes(proto, nodes, inputs, constants, given: dict, where: str) -> dict[str, np.dtype]:
    input_dtypes = {}
    declared = {v.name: v.type.tensor_type.elem_type for v in proto.input}
    for name in inputs:
        if name in given:
            input_dtypes[name] = np.dtype(given[name])
            continue
        dtype = helper.tensor_dtype_to_np_dtype(declared[name]) if declared.get(name) else None
        if dtype is None or dtype.kind not in "iu":
            raise DeployError(f"{where}: graph input '{name}' is declared {dtype}; give its integer type")
        input_dtypes[name] = dtype
    try:
        return infer_dtypes(nodes, input_dtypes, constants)
    except ValueError as error:
        raise DeployError(f"{where}: {error}") from None


def _check_node_shapes(node: Node, shapes: dict, constants: dict, where: str) -> None:
    prefix = f"{where}: {node.describe()}"
    for position in node.attrs.required_constants:
        if position < len(node.inputs) and node.inputs[position] not in constants:
            raise DeployError(f"{prefix}: input '{node.inputs[position]}' must be a constant")
    for name in (*node.inputs, *node.outputs):
        if name not in shapes:
            raise DeployError(f"{prefix}: tensor '{name}' has no static shape in the file (no shape inference)")
    try:
        node.attrs.check_shapes([shapes[i] for i in node.inputs], shapes[node.outputs[0]])
    except ValueError as error:
        raise DeployError(f"{prefix}: unsupported shapes: {error}") from None
