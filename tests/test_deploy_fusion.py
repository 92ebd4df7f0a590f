"""Residual fusion (deploy/lowering/residual.py): RequantShift(Add(RequantShift(a), RequantShift(b)))
[-> iNoNorm] becomes one layer running kernel_residual_requant_*.

- The group is formed on graphs with the pattern (with and without the iNoNorm, int8 and uint8
  operands), named after its Add, placed where the Add is; the zoo's MobileBERT fuses every one.
- It is not formed when an intermediate has another consumer or is a graph output, or when a
  requantization is per channel; the iNoNorm stays out when the sum's requantization feeds more.
- Through the whole flow (deploy_and_run) the fused layer equals the golden executor bit for bit:
  every int8 value as input, so every requantization saturates at both bounds and negative values
  go through the rounding shifts; an iNoNorm whose int8 store wraps; sizes that do not divide by
  the core count (3 cores).
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from test_deploy_e2e import needs_compiler

from deploy.flow import DeployOptions, deploy_and_run
from deploy.golden import GOLDEN_KERNELS
from deploy.golden.requant import requant_bounds
from deploy.integers import wrap_int32
from deploy.lowering import (
    calls,
    group_layers,
    lower,
    residual_tables,
    run_graph_passes,
)
from deploy.models import build_model
from deploy.onnx_import import import_model
from deploy.operators.quantized import INoNormAttrs, RequantShiftAttrs

RNG = np.random.default_rng(20250613)
RESIDUAL = ("RequantShift", "RequantShift", "Add", "RequantShift")


def _const(name, values, dtype):
    return numpy_helper.from_array(np.asarray(values, dtype), name)


def _info(name, shape, elem=TensorProto.INT8):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _requant(x, name, mul, add, log2d, signed=True):
    params = [
        _const(f"{name}.mul", mul, np.int32),
        _const(f"{name}.add", add, np.int32),
    ]
    node = helper.make_node("RequantShift", [x, f"{name}.mul", f"{name}.add"], [name], name=f"{name}_RequantShift",
                            div=float(2**log2d), n_levels_out=[256.0], signed=[1.0 if signed else 0.0])  # fmt: skip
    return node, params


def residual_model(shape=(1, 13, 24), norm=True, b_unsigned=False, extra_reader=None, output_sum=False,
                   per_channel=False, norm_weights="feature", norm_mul=150):  # fmt: skip
    """a, b -> RQ each -> Add -> RQ [-> iNoNorm]. extra_reader: a tensor a second node also reads
    ('branch', 'sum', 'y'); output_sum: the Add's result is also a graph output."""
    width = shape[-1]
    # large multipliers and negative adds: both clip bounds and negative values through the shifts
    rq_a, pa = _requant(
        "a", "branch", RNG.integers(1, 40, width) if per_channel else 23, -(5 << 3), 4
    )
    rq_b, pb = _requant("b", "skip", 97, 3 << 5, 6, signed=not b_unsigned)
    add = helper.make_node("Add", ["branch", "skip"], ["sum"], name="res_Add")
    rq_y, py = _requant("sum", "y", 181, -(1 << 7), 8)
    nodes, params = [rq_a, rq_b, add, rq_y], pa + pb + py
    outputs = [_info("out", shape)]
    if norm:
        w_shape = {"feature": (width,), "element": shape[1:], "scalar": (1,)}[
            norm_weights
        ]
        params += [_const("norm.w", RNG.integers(48, 81, w_shape), np.int8),
                   _const("norm.b", RNG.integers(-1024, 1024, width), np.int32)]  # fmt: skip
        nodes.append(helper.make_node("iNoNorm", ["y", "norm.w", "norm.b"], ["out"], name="norm_iNoNorm",
                                      D=[float(2**14)], mul=[float(norm_mul)], n_levels=[256.0]))  # fmt: skip
    else:
        nodes.append(helper.make_node("Identity", ["y"], ["out"], name="out_Identity"))
    if extra_reader:
        elem = TensorProto.INT32 if extra_reader == "sum" else TensorProto.INT8
        nodes.append(
            helper.make_node(
                "Identity", [extra_reader], ["extra"], name="extra_Identity"
            )
        )
        outputs.append(_info("extra", shape, elem))
    if output_sum:
        outputs.append(_info("sum", shape, TensorProto.INT32))
    value_info = [_info("branch", shape), _info("skip", shape, TensorProto.UINT8 if b_unsigned else TensorProto.INT8),
                  _info("sum", shape, TensorProto.INT32), _info("y", shape)]  # fmt: skip
    inputs = [
        _info("a", shape),
        _info("b", shape, TensorProto.UINT8 if b_unsigned else TensorProto.INT8),
    ]
    graph = helper.make_graph(nodes, "residual", inputs, outputs, params,
                              value_info=[v for v in value_info if v.name not in {o.name for o in outputs}])  # fmt: skip
    edges = np.resize(
        np.arange(-128, 128), int(np.prod(shape))
    )  # every int8 value, both extremes
    data = {"a": RNG.permutation(edges).reshape(shape).astype(np.int8),
            "b": (RNG.integers(0, 256, shape) if b_unsigned else edges.reshape(shape)).astype(np.uint8 if b_unsigned else np.int8)}  # fmt: skip
    return import_model(helper.make_model(graph), "residual"), data


def _group_ops(graph):
    return [g.op_types for g in group_layers(run_graph_passes(graph))]


def _residual_calls(network):
    return [
        call
        for layer in network.layers
        for call in layer.kernel_calls()
        if isinstance(call, calls.ResidualCall)
    ]


# ------------------------------------------------------------------ when the group is formed


@pytest.mark.parametrize("norm", [True, False])
def test_residual_group_is_formed(norm):
    graph, _ = residual_model(norm=norm)
    expected = (*RESIDUAL, "iNoNorm") if norm else RESIDUAL
    assert expected in _group_ops(graph)
    network = lower(graph)
    layer = next(layer for layer in network.layers if layer.kind == "+".join(expected))
    assert layer.name == "res"
    (call,) = layer.calls()
    assert isinstance(call, calls.ResidualCall) and (call.a, call.b) == ("a", "b")
    assert (call.norm_w is not None) == norm
    shapes = [(network.tensors[t].shape, network.tensors[t].dtype) for t in (call.table_a, call.table_b, call.table_y)]
    assert shapes == [((256,), np.uint8), ((256,), np.uint8), ((511,), np.int8)]
    assert all(network.tensors[t].is_constant for t in call.reads()[2:])


# ------------------------------------------------------------------ the constant tables


def _golden_requant(x, params):
    mul, add, log2d, n_levels, signed = params
    attrs = RequantShiftAttrs(log2d=log2d, n_levels=n_levels, signed=signed)
    return GOLDEN_KERNELS["RequantShift"](attrs, x, np.array(mul), np.array(add)).astype(np.int64)


def _table_result(dtypes, rqs):
    """y for every pair of operand bytes (256 x 256), through the three tables as the kernel reads them."""
    table_a, table_b = (residual_tables.input_table(d, *rq) for d, rq in zip(dtypes, rqs))
    table_y = residual_tables.output_table(*(requant_bounds(*rq[3:]) for rq in rqs[:2]), *rqs[2])
    index = table_a.astype(np.int64)[:, None] + table_b.astype(np.int64)[None, :]
    return table_y[index].view(np.uint8)  # the byte the kernel stores


@pytest.mark.parametrize(
    "dtypes, rqs",
    [
        ((np.int8, np.int8), ((181, 0, 8, 256, True), (201, 1 << 7, 8, 256, True), (97, -(3 << 6), 7, 256, True))),
        # both clip bounds of every requantization, log2d 0 (no rounding), an unsigned y
        ((np.int8, np.int8), ((3000, -5, 5, 256, True), (-1, 0, 0, 256, True), (-300, 100, 6, 256, False))),
        # uint8 operands, narrow and unsigned intermediate results, shifts past 31
        ((np.int8, np.uint8), ((5, 3, 2, 16, True), (9, -40, 4, 256, False), (255, 0, 9, 256, True))),
        ((np.uint8, np.uint8), ((1, 0, 0, 256, False), (2, 0, 1, 256, False), (1, -256, 2, 256, True))),
        ((np.uint8, np.int8), ((-7, 2**31 - 1, 32, 256, True), (5, 0, 33, 256, True), (1 << 20, 77, 40, 256, True))),
    ],
    ids=["typical", "saturating", "s8u8_narrow", "u8u8", "shifts_past_31"],
)
def test_tables_give_the_golden_chain_for_every_operand_pair(dtypes, rqs):
    values = [residual_tables.byte_values(d) for d in dtypes]
    assert [v.dtype == np.int64 and sorted(v.tolist()) == list(range(np.iinfo(d).min, np.iinfo(d).max + 1))
            for v, d in zip(values, dtypes)] == [True, True]  # fmt: skip
    rq_a, rq_b = _golden_requant(values[0], rqs[0]), _golden_requant(values[1], rqs[1])
    y = _golden_requant(rq_a[:, None] + rq_b[None, :], rqs[2])
    assert np.array_equal(_table_result(dtypes, rqs), y.astype(np.uint8))  # the stored byte, as the executor stores it


@pytest.mark.parametrize("b_unsigned", [False, True])
def test_tables_of_the_model_saturate_and_match(b_unsigned):
    """The lowered residual's tables equal the golden chain for every operand byte pair (an int8 or
    a uint8 skip operand), and that chain reaches y's upper bound (and the lower one for int8)."""
    graph, _ = residual_model(norm=False, b_unsigned=b_unsigned)
    network = lower(graph)
    (call,) = _residual_calls(network)
    t = {name: network.tensors[name].data for name in (call.table_a, call.table_b, call.table_y)}
    rqs = []
    for node in graph.nodes:
        if node.op_type == "RequantShift":
            mul, add = (int(np.asarray(graph.tensor(n).data).reshape(-1)[0]) for n in node.inputs[1:3])
            a = node.attrs
            rqs.append((mul, add, a.log2d, a.n_levels, a.signed))
    dtypes = (np.int8, np.uint8 if b_unsigned else np.int8)
    values = [residual_tables.byte_values(d) for d in dtypes]
    y = _golden_requant(_golden_requant(values[0], rqs[0])[:, None] + _golden_requant(values[1], rqs[1])[None, :], rqs[2])
    index = t[call.table_a].astype(np.int64)[:, None] + t[call.table_b].astype(np.int64)[None, :]
    assert np.array_equal(t[call.table_y][index], y.astype(np.int8))
    assert y.max() == 127 and (b_unsigned or y.min() == -128)


@pytest.mark.parametrize("mul, log2d", [(150, 14), (5000, 14), (2**25, 3), (7, 40)])
def test_scaled_norm_parameters_give_the_golden_inonorm(mul, log2d):
    """int32(y*(w*mul) + bias*mul) >> log2d equals iNoNorm for every int8 y (the kernel's shift is
    clamped to 31, which is what numpy's shift of an int32 gives past 31)."""
    w = RNG.integers(-128, 128, 37)
    bias = RNG.integers(-(2**20), 2**20, 37)
    y = np.arange(-128, 128)[:, None]
    expected = GOLDEN_KERNELS["iNoNorm"](INoNormAttrs(log2d=log2d, mul=mul, n_levels=256), y, w, bias)
    w_mul, b_mul = (residual_tables.scaled_norm(v, mul).astype(np.int64) for v in (w, bias))
    kernel = wrap_int32(y * w_mul + b_mul) >> min(log2d, 31)
    assert np.array_equal(kernel.astype(np.int8), np.asarray(expected).astype(np.int8))


@pytest.mark.parametrize("reader", ["branch", "sum"])
def test_not_formed_when_an_intermediate_has_another_consumer(reader):
    graph, _ = residual_model(extra_reader=reader)
    ops = _group_ops(graph)
    assert not any(o[:4] == RESIDUAL for o in ops), ops
    assert not _residual_calls(lower(graph))


def test_not_formed_when_an_intermediate_is_a_graph_output():
    graph, _ = residual_model(output_sum=True)
    assert not any(o[:4] == RESIDUAL for o in _group_ops(graph))


def test_not_formed_for_per_channel_requantization():
    graph, _ = residual_model(per_channel=True)
    assert not any(o[:4] == RESIDUAL for o in _group_ops(graph))


def test_norm_stays_out_when_the_result_has_another_consumer():
    graph, _ = residual_model(extra_reader="y")
    ops = _group_ops(graph)
    assert RESIDUAL in ops and (*RESIDUAL, "iNoNorm") not in ops


def test_mobilebert_fuses_every_residual_block():
    model, _ = build_model("mobilebert", layers=1)
    ops = _group_ops(import_model(model, "mobilebert"))
    fused = [o for o in ops if o == (*RESIDUAL, "iNoNorm")]
    assert len(fused) == 6  # attention, four FFNs, output
    assert not any(o == ("RequantShift",) for o in ops)


# ------------------------------------------------------------------ bit-exact through the flow


@needs_compiler
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"norm": False},
        {"b_unsigned": True, "shape": (1, 7, 19)},
        {"norm_weights": "element", "shape": (2, 5, 9)},
        {"norm_weights": "scalar"},
        {"norm_mul": 5000},
        {"extra_reader": "y"},
    ],
    ids=[
        "norm",
        "no_norm",
        "s8u8_odd",
        "norm_per_element",
        "norm_scalar",
        "norm_int8_wraps",
        "norm_not_fused",
    ],
)
def test_fused_layer_equals_golden(options, tmp_path):
    graph, inputs = residual_model(**options)
    result = deploy_and_run(graph, inputs, DeployOptions(cores=3), tmp_path)
    assert _residual_calls(result.network)
    assert result.matches_golden, result.mismatches


@needs_compiler
def test_saturation_at_both_bounds_without_norm(tmp_path):
    graph, inputs = residual_model(norm=False)
    result = deploy_and_run(graph, inputs, DeployOptions(cores=8), tmp_path)
    assert result.matches_golden, result.mismatches
    out = result.golden["out"]
    assert (
        out.min() == -128 and out.max() == 127
    )  # the edge inputs drive y into both clips
