"""Deploy flow, first part: ONNX import and the golden integer executor.

- Every Deeploy conformance network imports and runs bit-exactly against its outputs.npz.
- Unsupported operators/shapes give one DeployError line naming the node.
- The trickiest kernels match straightforward per-element Python written from the C sources.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from deploy.conformance import load_conformance_case
from deploy.errors import DeployError
from deploy.golden import GOLDEN_KERNELS, run_golden
from deploy.integers import plp_isqrt
from deploy.onnx_import import import_model
from deploy.operators import OPERATORS

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "deeploy"
NETWORKS = sorted(str(p.parent.relative_to(CONFORMANCE)) for p in CONFORMANCE.glob("**/network.onnx"))
KNOWN_NETWORKS = {
    "Kernels/Integer/Add/Regular", "Kernels/Integer/Add/Regular_RQ", "Kernels/Integer/Attention",
    "Kernels/Integer/GEMM/Regular_RQPerRow", "Kernels/Integer/GEMM/TransB_RQ", "Kernels/Integer/Hardswish/Regular",
    "Kernels/Integer/MatMul/Regular", "Kernels/Integer/MatMul/Regular_RQ", "Kernels/Integer/RMSNorm",
    "Kernels/Integer/Softmax/Large", "Kernels/Integer/Softmax/Regular", "Kernels/Integer/iNoNorm",
    "Models/CCT/Int/ICCT",
}  # fmt: skip
CONFORMANCE_OP_TYPES = {
    "Add", "Conv", "Gather", "Gemm", "IntegerMean", "ITAMax", "MatMul", "MaxPool", "RequantShift", "Reshape",
    "Transpose", "iGELU", "iHardswish", "iLayerNorm", "iNoNorm", "iRMSNorm", "iSoftmax",
}  # fmt: skip
RNG = np.random.default_rng(20240611)


# ---------------------------------------------------------------- conformance networks


def test_conformance_networks_present():
    assert KNOWN_NETWORKS <= set(NETWORKS), f"missing under {CONFORMANCE}"


@pytest.mark.parametrize("network", NETWORKS)
def test_conformance_network_bit_exact(network):
    case = load_conformance_case(CONFORMANCE / network)
    run = run_golden(case.graph, case.inputs)
    for name, expected in case.expected.items():
        actual = run.outputs[name]
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        mismatches = np.flatnonzero(actual != expected)
        assert mismatches.size == 0, f"{network}: {mismatches.size}/{expected.size} differ, first at {mismatches[:5]}"


def test_conformance_op_types_are_all_supported():
    used = set().union(*(load_conformance_case(CONFORMANCE / n).graph.op_types() for n in NETWORKS))
    assert used == CONFORMANCE_OP_TYPES
    assert used <= set(OPERATORS)


def test_every_operator_has_a_golden_kernel():
    assert set(GOLDEN_KERNELS) == set(OPERATORS)


# ---------------------------------------------------------------- import errors


def _model(nodes, inputs, outputs, initializers=()):
    return helper.make_model(helper.make_graph(nodes, "g", inputs, outputs, list(initializers)))


def _info(name, shape, elem=TensorProto.INT8):
    return helper.make_tensor_value_info(name, elem, shape)


def test_unsupported_operator_is_one_line_naming_the_node():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="Transpose_1"),
        helper.make_node("Softplus", ["t"], ["y"], name="Softplus_3"),
    ]
    model = _model(nodes, [_info("x", [1, 4])], [_info("y", [4, 1])], [])
    with pytest.raises(DeployError) as error:
        import_model(model, "network.onnx")
    assert str(error.value) == "network.onnx: node 'Softplus_3' (Softplus): operator not supported"


def test_unsupported_shapes_name_the_node():
    weight = numpy_helper.from_array(np.ones((5, 3), np.float32), "w")
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")
    model = _model([node], [_info("x", [2, 4])], [_info("y", [2, 3])], [weight])
    with pytest.raises(DeployError, match=r"^net.onnx: node 'mm' \(MatMul\): unsupported shapes: reduction"):
        import_model(model, "net.onnx")


def test_missing_shape_and_float_input_are_reported():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="tr"),
        helper.make_node("Identity", ["t"], ["y"], name="id"),
    ]
    with pytest.raises(DeployError, match=r"node 'tr' \(Transpose\): tensor 't' has no static shape"):
        import_model(_model(nodes, [_info("x", [2, 3])], [_info("y", [3, 2])]), "n.onnx")
    model = _model(nodes[:1], [_info("x", [2, 3], TensorProto.FLOAT)], [_info("t", [3, 2])])
    with pytest.raises(DeployError, match=r"graph input 'x' is declared float32; give its integer type"):
        import_model(model, "n.onnx")
    assert import_model(model, "n.onnx", {"x": np.int8}).tensor("t").dtype == np.int8


# ---------------------------------------------------------------- per-element references


def c_int(value: int, bits: int = 32) -> int:
    """A C store of `value` into a signed `bits`-wide integer (two's-complement wrap)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def c_div(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return -quotient if (a < 0) != (b < 0) else quotient


def run_one(op_type, x, constants=(), out_shape=None, **attrs) -> np.ndarray:
    """Import a one-node model (x = graph input, constants c0.. as int64 initializers) and run it."""
    elem = {np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.int32: TensorProto.INT32}[x.dtype.type]
    initializers = [numpy_helper.from_array(np.asarray(c, np.int64), f"c{i}") for i, c in enumerate(constants)]
    node = helper.make_node(op_type, ["x", *(t.name for t in initializers)], ["y"], name="node", **attrs)
    out = _info("y", list(out_shape or x.shape), TensorProto.FLOAT)
    graph = import_model(_model([node], [_info("x", list(x.shape), elem)], [out], initializers))
    return run_golden(graph, {"x": x}).outputs["y"].astype(np.int64)


def rows(x: np.ndarray) -> list[list[int]]:
    return [list(map(int, r)) for r in x.reshape(-1, x.shape[-1])]


@pytest.mark.parametrize("signed", [True, False])
def test_requant_shift_rounds_wraps_int32_and_clips(signed):
    x = RNG.integers(-(2**22), 2**22, (1, 4, 3, 5), dtype=np.int32)
    mul = RNG.integers(1, 2**10, (4, 1, 1))
    add = RNG.integers(-(2**20), 2**20, (4, 1, 1))
    got = run_one("RequantShift", x, [mul, add], div=2**10, n_levels=256, signed=int(signed))
    lo, hi = (-128, 127) if signed else (0, 255)
    for index in np.ndindex(x.shape):
        c = index[1]
        value = c_int(int(x[index]) * int(mul[c, 0, 0]) + int(add[c, 0, 0]) + (1 << 9)) >> 10
        assert got[index] == min(max(value, lo), hi), index


SOFTMAX_CASES = [  # (coeffA, coeffB, coeffC, log2), input span: network values, coeffA != 1, int8-wrapping z
    ((1, 345, 62395, 255), 128),
    ((1, 173, 15599, 127), 128),
    ((3, 40, 700, 30), 40),
    ((1, 30, 90, 1), 128),
]


@pytest.mark.parametrize("coeffs,span", SOFTMAX_CASES)
def test_i_softmax_matches_c_loop(coeffs, span):
    a, b, c, log2 = coeffs
    x = RNG.integers(-span, span, (1, 3, 16), dtype=np.int8)
    got = run_one("iSoftmax", x, coeffA=a, coeffB=b, coeffC=c, log2=log2, n_levels=256)
    for row, got_row in zip(rows(x), rows(got)):
        x_max = max(row + [-128])
        ys = []
        for value in row:
            x_tilde = c_int(value - x_max, 16)
            z = min(max(c_int(-c_div(x_tilde, log2), 8), 0), 31)
            p = c_int(x_tilde + z * log2, 16)
            ys.append((((c_int(a * c_int((p + b) * (p + b))) + c) % 2**64) >> z) % 2**32)
        total = sum(ys) % 2**32
        assert got_row == [((y * 255) % 2**32) // total for y in ys]


def ita_shift(diff: int) -> int:
    return ((diff + 16) >> 5) & 0xFF


def test_ita_max_matches_c_loop():
    x = RNG.integers(-128, 128, (2, 4, 64), dtype=np.int8)
    got = run_one("ITAMax", x, n_levels=256)
    for row, got_row in zip(rows(x), rows(got)):
        shifts = [ita_shift(max(row) - v) for v in row]
        inverse = 255 * 256 // (sum(256 >> s for s in shifts) % 2**32)
        assert got_row == [inverse >> s for s in shifts]


@pytest.mark.parametrize("length", [64, 40])
def test_ita_partial_max_matches_c_loop(length):
    x = RNG.integers(-128, 128, (1, 6, length), dtype=np.int8)
    got = run_one("ITAPartialMax", x, n_levels=256, group_width=16)
    for row, got_row in zip(rows(x), rows(got)):
        global_max, partial = -128, 0
        for g in range(length // 16):
            block = row[g * 16 : (g + 1) * 16]
            current = max(block + [-128])
            shift_sum = (current - global_max + 16) >> 5 if current > global_max else 0
            global_max = max(current, global_max)
            partial = ((partial >> shift_sum) + sum(256 >> ita_shift(global_max - v) for v in block)) % 2**32
        inverse = 127 * 256 // partial
        assert got_row == [inverse >> ita_shift(global_max - v) for v in row]


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_i_layer_norm_truncates_and_wraps_int8(dtype):
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    x = RNG.integers(lo, hi + 1, (1, 5, 24), dtype=dtype)
    weight = RNG.integers(-(2**20), 2**20, 24)
    bias = RNG.integers(-(2**16), 2**16, 24)
    got = run_one("iLayerNorm", x, [weight, bias], D=2**8, n_levels=256)
    beyond_int8 = 0
    for row, got_row in zip(rows(x), rows(got)):
        mean = c_div(c_int(sum(row)), 24)
        variance = c_div(c_int(sum(c_int(v - mean, 16) ** 2 for v in row)), 24) + 1
        std = math.isqrt(variance)
        unstored = [(c_div((v - mean) * int(w), std) + int(b)) >> 8 for v, w, b in zip(row, weight, bias)]
        beyond_int8 += sum(not -128 <= v <= 127 for v in unstored)
        assert got_row == [c_int(v, 8) for v in unstored]
    assert beyond_int8, "the int8 wrap of the C kernel's store is not exercised"


def test_i_rms_norm_wraps_product_and_clamps():
    x = RNG.integers(-128, 128, (2, 32), dtype=np.int8)
    weight = RNG.integers(2**23, 2**25, 32)
    got = run_one("iRMSNorm", x, [weight], D=2**16, n_levels=256)
    for row, got_row in zip(rows(x), rows(got)):
        std = math.isqrt(c_div(c_int(sum(c_int(v, 16) ** 2 for v in row)), 32) + 1)
        expected = [min(max(c_div(c_int(v * int(w)), std) >> 16, -128), 127) for v, w in zip(row, weight)]
        assert got_row == expected


def test_i_no_norm_has_no_rounding_and_wraps():
    x = RNG.integers(-128, 128, (1, 8, 16), dtype=np.int8)
    weights = RNG.integers(-128, 128, (8, 16))
    bias = RNG.integers(-6000, 6000, 16)
    got = run_one("iNoNorm", x, [weights, bias], D=2**14, mul=900, n_levels=256)
    for index in np.ndindex(x.shape):
        affine = c_int(int(x[index]) * int(weights[index[1:]]) + int(bias[index[2]]))
        assert got[index] == c_int(c_int(affine * 900) >> 14, 8)


@pytest.mark.parametrize("axes,keepdims", [([1], 0), ([2], 0), ([2], 1)])
def test_integer_mean_rounding(axes, keepdims):
    x = RNG.integers(-128, 128, (1, 6, 8), dtype=np.int8)
    out_shape = [1 if i == axes[0] else s for i, s in enumerate(x.shape) if keepdims or i != axes[0]]
    got = run_one("IntegerMean", x, out_shape=out_shape, axes=axes, keepdims=keepdims)
    moved = np.moveaxis(x, axes[0], -1)
    length = moved.shape[-1]
    for acc, value in zip((sum(r) for r in rows(moved)), got.ravel()):
        if not keepdims and length & (length - 1) == 0:
            expected = (acc + length // 2) >> (length.bit_length() - 1)
        else:
            expected = c_div(acc + (1 if acc >= 0 else -1) * (length >> 1), length)
        assert value == expected


def test_integer_div_rounds_half_away_from_zero():
    x = RNG.integers(-(2**15), 2**15, (2, 4, 6), dtype=np.int32)
    denominator = RNG.integers(1, 300, (1, 4, 1))
    got = run_one("IntegerDiv", x, [denominator], Delta=2**10, eps=3, eta=7)
    for index in np.ndindex(x.shape):
        nom = int(x[index]) * c_int(2**10 * 7)
        denom = int(denominator[0, index[1], 0]) * 7 + 3
        assert got[index] == c_int(c_div(nom + (1 if nom >= 0 else -1) * (denom >> 1), denom))


@pytest.mark.parametrize("b,one", [(-42, 1929), (-40, 1743)])
def test_i_gelu_over_all_int8(b, one):
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    got = run_one("iGELU", x, b=b, one=one)
    for value, result in zip(range(-128, 128), got.ravel()):
        sign = (value > 0) - (value < 0)
        d = min(abs(value), -b) + b
        assert result == c_int(value * (c_int(one + sign * (one - d * d)) >> 1))


def test_i_hardswish_over_all_int8():
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    got = run_one("iHardswish", x, one_over_six=33, six=1530, three=765)
    for value, result in zip(range(-128, 128), got.ravel()):
        assert result == c_int(value * c_int(min(max(value + 765, 0), 1530) * 33))


@pytest.mark.parametrize("trans_a,trans_b", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm_transposes_and_scales_in_int32(trans_a, trans_b):
    m, n, p = 3, 5, 4
    a = RNG.integers(-128, 128, (n, m) if trans_a else (m, n), dtype=np.int8)
    b = RNG.integers(-128, 128, (p, n) if trans_b else (n, p))
    c = RNG.integers(-(2**30), 2**30, (p,))
    got = run_one("Gemm", a, [b, c], out_shape=[m, p], alpha=3, beta=-2, transA=trans_a, transB=trans_b)
    for i, j in np.ndindex(m, p):
        acc = sum(int(a[k, i] if trans_a else a[i, k]) * int(b[j, k] if trans_b else b[k, j]) for k in range(n))
        assert got[i, j] == c_int(3 * c_int(acc) + c_int(-2 * int(c[j])))


def test_plp_isqrt_is_floor_sqrt_in_range():
    numbers = np.array([-5, 0, 1, 2, 3, 4, 15, 16, 17, 65026, 2**30 + 12345, 46340**2 - 1])
    assert plp_isqrt(numbers).tolist() == [0, 0] + [math.isqrt(int(n)) for n in numbers[2:]]
