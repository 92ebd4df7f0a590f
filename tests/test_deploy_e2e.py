"""Deploy flow end to end: lowering -> static memory plan -> generated C -> compiled with the
kernels -> simulated on the cluster (fast engine) -> outputs read back, byte for byte.

- Every Deeploy conformance network (../shared/conformance/deeploy) equals its outputs.npz.
- The zoo's `tiny` encoder equals the golden executor; per-layer cycles add up; MACs match.
- Synthetic graphs cover what the conformance set does not: Conv with bias, MaxPool of int8,
  Gather that is not a view, outputs that must be copied (graph input, constant), operand swaps
  and broadcast expansion for the kernels, batch-broadcast MatMul.
- Memory plans never let two live buffers share bytes.
- `deploy run` prints the table and exits 0 on a conformance folder; a bad model path gives one
  `deploy: error:` line; a node without kernel is a DeployError naming it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from deploy.conformance import load_conformance_case
from deploy.errors import DeployError
from deploy.flow import DeployOptions, deploy_and_run
from deploy.golden import run_golden
from deploy.lowering import lower
from deploy.memory import L1, allocate, check_plan
from deploy.models import build_model, count_macs
from deploy.onnx_import import import_model

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "deeploy"
NETWORKS = sorted(str(p.parent.relative_to(CONFORMANCE)) for p in CONFORMANCE.glob("**/network.onnx"))


def _compiler_available() -> bool:
    from toolchain.build import find_compiler

    try:
        find_compiler()
    except Exception:  # noqa: BLE001
        return False
    return True


needs_compiler = pytest.mark.skipif(not _compiler_available(), reason="no RISC-V cross compiler")


def _check_result(graph, result, expected: dict[str, np.ndarray]) -> None:
    for name, want in expected.items():
        got = result.outputs[name]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert got.tobytes() == want.tobytes(), f"{name}: {np.count_nonzero(got != want)}/{want.size} differ"
    network = result.network
    assert len(result.layer_cycles) == len(network.layers)
    assert sum(result.layer_cycles) == result.network_cycles
    assert all(c > 0 for c in result.layer_cycles)
    assert network.macs == count_macs(graph)
    check_plan(network, result.built.plan)


# ---------------------------------------------------------------- conformance networks


def test_conformance_networks_found():
    assert len(NETWORKS) >= 13, f"conformance networks missing under {CONFORMANCE}"


@needs_compiler
@pytest.mark.parametrize("network", NETWORKS)
def test_conformance_network_end_to_end(network, tmp_path):
    case = load_conformance_case(CONFORMANCE / network)
    result = deploy_and_run(case.graph, case.inputs, DeployOptions(cores=8), tmp_path, golden=False)
    _check_result(case.graph, result, case.expected)
    assert {layer.engine for layer in result.network.layers} == {"cores"}


# ---------------------------------------------------------------- zoo


@needs_compiler
def test_zoo_tiny_equals_golden(tmp_path):
    model, inputs = build_model("tiny")
    graph = import_model(model, "tiny")
    result = deploy_and_run(graph, inputs, DeployOptions(cores=8), tmp_path)
    assert result.matches_golden, result.mismatches
    _check_result(graph, result, run_golden(graph, inputs).outputs)
    plan = result.built.plan
    assert plan.placement == L1 and plan.arena_bytes < plan.unshared_bytes / 4
    assert plan.in_place, "RequantShift s8 in place of its dying input"
    kinds = {layer.kind for layer in result.network.layers}
    assert {"MatMul+Add+RequantShift", "MatMul+RequantShift", "iGELU+RequantShift", "ITAMax"} <= kinds
    # the weights of the q projection are the A operand of one Gemm with the bias fused
    gemms = [call for layer in result.network.layers for call in layer.kernel_calls() if call.kernel_name() == "kernel_gemm_s8s8"]
    assert gemms and all(g.c is not None for g in gemms)
    text = (tmp_path / "network.c").read_text()
    assert "snrt_cluster_hw_barrier" in text and "void run_network(" in text


@needs_compiler
@pytest.mark.parametrize("name", ["mobilebert", "whisper_tiny_encoder"])
def test_zoo_first_layer_equals_golden(name, tmp_path):
    """MobileBERT (iNoNorm, unsigned ReLU RequantShift feeding a u8 MatMul, bottlenecks) and
    Whisper (K projection without bias), one layer of 64 tokens each."""
    model, inputs = build_model(name, seq=64, layers=1)
    graph = import_model(model, name)
    result = deploy_and_run(graph, inputs, DeployOptions(cores=8), tmp_path)
    assert result.matches_golden, result.mismatches
    _check_result(graph, result, result.golden)


# ---------------------------------------------------------------- synthetic graphs


def _info(name, shape, elem=TensorProto.INT8):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.asarray(values, dtype), name)


RNG = np.random.default_rng(20250612)


def _spatial_model():
    """Conv (bias, pads, stride 1) -> per-channel RequantShift -> MaxPool (int8) -> Transpose ->
    Gather of 3 indices (not a view) -> Reshape (output 0, a view written in place); Identity of
    the input (output 1: a copy); a folded constant (output 2: a copy)."""
    weight = RNG.integers(-64, 64, (5, 4, 3, 3))
    weight[0, 0, 0, 0] = -100
    initializers = [
        _const("w", weight, np.int8),
        _const("bias", RNG.integers(-2000, 2000, 5), np.int32),
        _const("mul", RNG.integers(1, 200, (5, 1, 1)), np.int32),
        _const("add", [0], np.int32),
        _const("idx", [0, 2, -1]),
        _const("shape", [4, 9]),
        _const("table", RNG.integers(-5, 5, (2, 3)), np.int8),
        _const("flat", [6]),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w", "bias"], ["conv"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("RequantShift", ["conv", "mul", "add"], ["rq"], name="rq", div=2**12, n_levels=256, signed=1),
        helper.make_node("MaxPool", ["rq"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["pool"], ["tr"], name="tr", perm=[0, 3, 1, 2]),
        helper.make_node("Gather", ["tr", "idx"], ["g"], name="gather", axis=2),
        helper.make_node("Reshape", ["g", "shape"], ["y0"], name="reshape"),
        helper.make_node("Identity", ["x"], ["y1"], name="identity"),
        helper.make_node("Reshape", ["table", "flat"], ["y2"], name="folded"),
    ]
    value_info = [_info("conv", [1, 5, 6, 8], TensorProto.INT32), _info("rq", [1, 5, 6, 8]), _info("pool", [1, 5, 3, 4]),
                  _info("tr", [1, 4, 5, 3]), _info("g", [1, 4, 3, 3])]  # fmt: skip
    graph = helper.make_graph(
        nodes, "spatial", [_info("x", [1, 4, 6, 8])], [_info("y0", [4, 9]), _info("y1", [1, 4, 6, 8]), _info("y2", [6])],
        initializers, value_info=value_info,
    )  # fmt: skip
    return helper.make_model(graph), {"x": RNG.integers(-128, 128, (1, 4, 6, 8)).astype(np.int8)}


def _elementwise_model():
    """Add(uint8 broadcast, int8) -> swapped to kernel_add_s8u8; RequantShift with mul per axis 0
    and add per axis 1 (expanded to one index pattern); MatMul of a shared 2-D A with batched B."""
    initializers = [
        _const("mul", RNG.integers(1, 100, (2, 1, 1)), np.int32),
        _const("add", RNG.integers(-5000, 5000, (3, 1)), np.int32),
        _const("a", RNG.integers(-128, 128, (4, 3)), np.int8),
    ]
    nodes = [
        helper.make_node("Add", ["u", "s"], ["sum"], name="add"),
        helper.make_node("RequantShift", ["sum", "mul", "add"], ["rq"], name="rq", div=2**6, n_levels=256, signed=1),
        helper.make_node("MatMul", ["a", "rq"], ["mm"], name="mm"),
    ]
    value_info = [_info("sum", [2, 3, 4], TensorProto.INT32)]
    graph = helper.make_graph(
        nodes, "elementwise", [_info("u", [4], TensorProto.UINT8), _info("s", [2, 3, 4])],
        [_info("rq", [2, 3, 4]), _info("mm", [2, 4, 4], TensorProto.INT32)], initializers, value_info=value_info,
    )  # fmt: skip
    inputs = {"u": RNG.integers(0, 256, 4).astype(np.uint8), "s": RNG.integers(-128, 128, (2, 3, 4)).astype(np.int8)}
    return helper.make_model(graph), inputs


@needs_compiler
@pytest.mark.parametrize("make", [_spatial_model, _elementwise_model], ids=["spatial", "elementwise"])
def test_synthetic_graph_end_to_end(make, tmp_path):
    model, inputs = make()
    graph = import_model(model, make.__name__)
    result = deploy_and_run(graph, inputs, DeployOptions(cores=3), tmp_path)
    assert result.matches_golden, result.mismatches
    _check_result(graph, result, result.golden)


def test_lowering_choices_for_synthetic_graphs():
    graph = import_model(_spatial_model()[0])
    network = lower(graph)
    kernels = [call.kernel_name() for layer in network.layers for call in layer.calls()]
    assert kernels[:4] == ["deploy_im2col_s8", "kernel_gemm_s8s8", "kernel_requant_shift_s32", "deploy_maxpool2d_s8"]
    assert "kernel_gather" in kernels and "kernel_transpose" in kernels
    assert set(network.views) == {"y0", "y1"}  # Reshape of the Gather result, Identity of the input
    copies = [layer for layer in network.layers if layer.kind == "Copy"]
    assert len(copies) == 2  # the graph input and the folded constant as outputs
    graph = import_model(_elementwise_model()[0])
    network = lower(graph)
    add = next(call for layer in network.layers for call in layer.calls() if call.kernel_name().startswith("kernel_add"))
    assert (add.kernel_name(), add.a, add.b, add.b_len) == ("kernel_add_s8u8", "s", "u", 4)
    rq = next(call for layer in network.layers for call in layer.calls() if call.kernel_name().startswith("kernel_requant"))
    assert (rq.mul_len, rq.add_len, rq.inner) == (24, 12, 1)
    mm = next(call for layer in network.layers for call in layer.calls() if call.kernel_name() == "kernel_matmul_s8s8")
    assert (mm.batch, mm.a_batch_stride, mm.b_batch_stride) == (2, 0, 12)


def test_memory_plan_reuses_and_never_overlaps_live_buffers():
    for network_path in NETWORKS:
        case = load_conformance_case(CONFORMANCE / network_path)
        network = lower(case.graph)
        for budget in (0, 1 << 20):
            plan = allocate(network, budget)
            check_plan(network, plan)
            assert plan.arena_bytes <= plan.unshared_bytes + 16
    model, _ = build_model("tiny", layers=1)
    network = lower(import_model(model))
    plan = allocate(network, 1 << 20)
    assert plan.arena_bytes * 4 < plan.unshared_bytes


def test_node_without_kernel_is_a_deploy_error_naming_it():
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="tr", perm=[1, 0]),
        helper.make_node("Mul", ["t", "t"], ["y"], name="Mul_7"),
    ]
    graph = helper.make_graph(nodes, "g", [_info("x", [2, 3])], [_info("y", [3, 2], TensorProto.INT32)],
                              value_info=[_info("t", [3, 2])])  # fmt: skip
    with pytest.raises(DeployError, match=r"^node 'Mul_7' \(Mul\): no kernel for this operator on the cores$"):
        lower(import_model(helper.make_model(graph)))


def test_unsupported_operand_types_name_the_node():
    initializers = [_const("w", np.arange(12).reshape(3, 4) % 200, np.uint8)]
    node = helper.make_node("MatMul", ["x", "w"], ["y"], name="mm_u8")
    graph = helper.make_graph([node], "g", [_info("x", [2, 3])], [_info("y", [2, 4], TensorProto.INT32)], initializers)
    with pytest.raises(DeployError, match=r"^node 'mm_u8' \(MatMul\): B 'w' is uint8; the cores' kernels take int8$"):
        lower(import_model(helper.make_model(graph)))


# ---------------------------------------------------------------- CLI


def _cli(*args, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)  # fmt: skip


@needs_compiler
def test_cli_on_conformance_folder_prints_table_and_exits_0(tmp_path):
    folder = CONFORMANCE / "Kernels" / "Integer" / "Attention"
    report = tmp_path / "report.json"
    proc = _cli("run", folder, "--no-ita", "--cores", "4", "--json", report)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "layer" in out and "engine" in out and "Op/cycle" in out and "DMA B" in out
    assert "PASS: outputs equal the golden executor bit for bit" in out
    assert "PASS: outputs equal outputs.npz bit for bit" in out
    assert "ITA mapping is not available" not in out
    data = json.loads(report.read_text())
    assert data["outputs_match"] and data["cores"] == 4 and data["layers"]
    rows = [line for line in out.splitlines() if line.strip().split(" ")[0].isdigit()]
    assert len(rows) == len(data["layers"])
    assert all(layer["engine"] == "cores" for layer in data["layers"])
    # activations in L1, the weights in L2: the tiling pass stages them (deploy/tiling.py)
    assert data["tiling"]["tiled_calls"] > 0 and any(layer["dma_bytes"] > 0 for layer in data["layers"])
    assert sum(layer["cycles"] for layer in data["layers"]) == data["total"]["cycles"]
    assert f"total: {data['total']['cycles']} cycles" in out and "GOp/s" in out


@needs_compiler
def test_cli_without_no_ita_keeps_what_ita_cannot_run_on_the_cores(tmp_path):
    from deploy.cli import main

    folder = CONFORMANCE / "Kernels" / "Integer" / "Softmax" / "Regular"  # an iSoftmax: not ITA's softmax
    proc_out = tmp_path / "out.json"
    assert main(["run", str(folder), "--json", str(proc_out)]) == 0
    data = json.loads(proc_out.read_text())
    assert data["ita_requested"] and data["ita_available"]
    assert {layer["engine"] for layer in data["layers"]} == {"cores"}
    assert any("iSoftmax" in note and "on the cores" in note for note in data["ita"]["notes"])


def test_cli_bad_model_path_is_one_line_error():
    proc = _cli("run", "no/such/model.onnx", "--no-ita", timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("deploy: error: no/such/model.onnx: no such file or folder")
    assert "Traceback" not in proc.stderr


def test_cli_unsupported_node_is_one_line_error(tmp_path, capsys):
    from deploy.cli import main

    nodes = [helper.make_node("Mul", ["x", "x"], ["y"], name="Mul_3")]
    graph = helper.make_graph(nodes, "g", [_info("x", [2, 3])], [_info("y", [2, 3], TensorProto.INT32)])
    path = tmp_path / "mul.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    assert main(["run", str(path), "--no-ita"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "deploy: error: node 'Mul_3' (Mul): no kernel for this operator on the cores"
