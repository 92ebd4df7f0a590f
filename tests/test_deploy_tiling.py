"""L2 <-> L1 tiling of the cores' kernel calls (deploy/tiling.py, deploy/tile_rules.py,
deploy/csrc/deploy_tiles.c), end to end on the simulator:

- with the activations forced to L2 and a small L1, every conformance network and a synthetic
  graph (Gemm with each bias layout, batched MatMul, norms, softmaxes, transposes) run in many tiles (last
  tiles partial, GEMM columns split) and still equal their reference bit for bit, in strict mode
  (a kernel that read a slot before its DMA transfer completed would stop the run);
- the bytes the DMA moves per layer equal what the plan predicts;
- the tile chooser never exceeds its budget and prefers whole rows of columns;
- the detailed engine (L2 costs 10 cycles per access) runs a network faster tiled than in place.
"""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from deploy.conformance import load_conformance_case
from deploy.flow import DeployOptions, deploy_and_run
from deploy.memory import L2
from deploy.onnx_import import import_model
from deploy.tile_rules import LOAD, STORE, Block, TileProblem
from deploy.tiling import TiledCall, _footprint, choose_tiles
from tests.test_deploy_e2e import CONFORMANCE, NETWORKS, _check_result, needs_compiler

SMALL_L1 = DeployOptions(cores=8, placement="l2", l1_kib=40, strict=True)
"""Activations in L2 and 40 KiB of L1 (21 KiB left after 9 stacks): most calls take many tiles."""

RNG = np.random.default_rng(7)


def _tiled_calls(result) -> list[TiledCall]:
    return [call for layer in result.network.layers for call in layer.calls() if isinstance(call, TiledCall)]


def _check_dma_accounting(result) -> None:
    assert result.layer_dma_bytes == [layer.dma_bytes for layer in result.network.layers]
    assert sum(result.layer_dma_bytes) == result.dma.bytes


@needs_compiler
@pytest.mark.parametrize("network", NETWORKS)
def test_conformance_network_through_small_l1(network, tmp_path):
    case = load_conformance_case(CONFORMANCE / network)
    result = deploy_and_run(case.graph, case.inputs, SMALL_L1, tmp_path, golden=False)
    _check_result(case.graph, result, case.expected)
    assert result.built.plan.placement == L2
    tiled = _tiled_calls(result)
    assert tiled, "nothing was tiled"
    assert all(call.l1_bytes <= SMALL_L1.l1_budget for call in tiled)
    if network == "Kernels/Integer/Attention":  # head split and merge: transposes through L1 too
        assert sum(call.kernel_name() == "kernel_transpose" for call in tiled) >= 2
    _check_dma_accounting(result)


def _init(name, values, dtype):
    return numpy_helper.from_array(np.asarray(values, dtype), name)


def _info(name, shape, elem=TensorProto.INT8):
    return helper.make_tensor_value_info(name, elem, list(shape))


def _linear_model():
    """MatMul + per-column bias (one Gemm), per-column RequantShift, three Gemms whose bias is per
    row, full and scalar; a batched MatMul (3 heads); iLayerNorm; ITAMax; iGELU. Shapes that do not
    divide into the tiles (70 rows, 100 and 36 columns)."""
    m, k, n, n2 = 70, 200, 100, 36
    init = [
        _init("w1", RNG.integers(-128, 128, (k, n)), np.int8),
        _init("b1", RNG.integers(-3000, 3000, n), np.int32),
        _init("mul", RNG.integers(1, 60, n), np.int32),
        _init("add", [17], np.int32),
        _init("w2", RNG.integers(-128, 128, (n, n2)), np.int8),
        _init("c_row", RNG.integers(-9000, 9000, (m, 1)), np.int32),
        _init("c_full", RNG.integers(-9000, 9000, (m, n2)), np.int32),
        _init("c_one", [-1234], np.int32),
        _init("ln_w", RNG.integers(-128, 128, n2), np.int32),
        _init("ln_b", RNG.integers(-1000, 1000, n2), np.int32),
        _init("mul2", [3], np.int32),
        _init("add2", [0], np.int32),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "b1"], ["acc"], name="fc_bias"),
        helper.make_node("RequantShift", ["acc", "mul", "add"], ["h"], name="rq", div=2**14, n_levels=256, signed=1),
        helper.make_node("Gemm", ["h", "w2", "c_row"], ["g_row"], name="gemm_row"),
        helper.make_node("Gemm", ["h", "w2", "c_full"], ["g_full"], name="gemm_full"),
        helper.make_node("Gemm", ["h", "w2", "c_one"], ["g_one"], name="gemm_one"),
        helper.make_node("RequantShift", ["g_full", "mul2", "add2"], ["g8"], name="rq2", div=2**10, n_levels=256, signed=1),
        helper.make_node("iLayerNorm", ["g8", "ln_w", "ln_b"], ["ln"], name="ln", D=2**8, n_levels=256),
        helper.make_node("MatMul", ["q", "kt"], ["logits"], name="qk"),
        helper.make_node("RequantShift", ["logits", "mul2", "add2"], ["l8"], name="rq3", div=2**6, n_levels=256, signed=1),
        helper.make_node("ITAMax", ["l8"], ["probs"], name="softmax", n_levels=256),
        helper.make_node("iGELU", ["g8"], ["gelu"], name="gelu", b=-22, one=24),
    ]
    outputs = [_info("g_row", [m, n2], TensorProto.INT32), _info("g_one", [m, n2], TensorProto.INT32), _info("ln", [m, n2]),
               _info("probs", [3, 20, 40], TensorProto.UINT8), _info("gelu", [m, n2], TensorProto.INT32)]  # fmt: skip
    inputs = [_info("x", [m, k]), _info("q", [3, 20, 16]), _info("kt", [3, 16, 40])]
    value_info = [_info("mm", [m, n], TensorProto.INT32), _info("acc", [m, n], TensorProto.INT32), _info("h", [m, n]),
                  _info("g_full", [m, n2], TensorProto.INT32), _info("g8", [m, n2]),
                  _info("logits", [3, 20, 40], TensorProto.INT32), _info("l8", [3, 20, 40])]  # fmt: skip
    graph = helper.make_graph(nodes, "linear", inputs, outputs, init, value_info=value_info)
    data = {
        "x": RNG.integers(-128, 128, (m, k)).astype(np.int8),
        "q": RNG.integers(-128, 128, (3, 20, 16)).astype(np.int8),
        "kt": RNG.integers(-128, 128, (3, 16, 40)).astype(np.int8),
    }
    return helper.make_model(graph), data


@needs_compiler
def test_synthetic_linear_graph_in_many_tiles(tmp_path):
    model, inputs = _linear_model()
    graph = import_model(model, "linear")
    result = deploy_and_run(graph, inputs, SMALL_L1, tmp_path)
    assert result.matches_golden, result.mismatches
    _check_result(graph, result, result.golden)
    tiled = {call.kernel_name(): call for call in _tiled_calls(result)}
    assert {"kernel_gemm_s8s8", "kernel_matmul_s8s8", "kernel_ilayernorm_s8", "kernel_itamax_s8u8",
            "kernel_igelu_s8s32", "kernel_requant_shift_s32"} <= set(tiled)  # fmt: skip
    gemms = [c for c in _tiled_calls(result) if c.kernel_name() == "kernel_gemm_s8s8"]
    assert {(g.call.c_row_stride, g.call.c_col_stride) for g in gemms} == {(0, 1), (1, 0), (36, 1), (0, 0)}
    assert any(g.choice.col_tiles > 1 for g in gemms), "no GEMM had its columns split"
    assert any(g.problem.rows % g.choice.rows for g in gemms), "no GEMM had a partial last row tile"
    assert tiled["kernel_matmul_s8s8"].choice.batches == 3
    _check_dma_accounting(result)


def test_tile_choice_fits_and_prefers_whole_rows():
    def problem(rows, cols, col_quantum):
        blocks = (Block("a", LOAD, 1, 64, cols=64), Block("b", LOAD, 1, cols, rows=64), Block("y", STORE, 4, 4 * cols))
        return TileProblem(1, rows, cols, blocks, lambda r, c: None, 2, col_quantum)

    for budget in (2_000, 9_000, 30_000, 100_000):
        for p in (problem(70, 100, 8), problem(128, 512, 8), problem(33, 17, 0)):
            choice = choose_tiles(p, budget)
            if choice is None:
                continue
            assert _footprint(p, choice) <= budget
            assert choice.row_tiles * choice.rows >= p.rows and choice.col_tiles * choice.cols >= p.cols
            assert (choice.row_tiles - 1) * choice.rows < p.rows and (choice.col_tiles - 1) * choice.cols < p.cols
    # everything fits: B resident, the rows in MIN_TILES tiles so that loads and stores overlap compute
    whole = choose_tiles(problem(70, 100, 8), 10**6)
    assert (whole.row_tiles, whole.col_tiles, whole.rows) == (4, 1, 18)
    assert choose_tiles(problem(3, 100, 8), 10**6).row_tiles == 1  # too few rows to split
    # B (64 x 512) does not fit twice in 40 KB: the columns are split
    assert choose_tiles(problem(128, 512, 8), 40_000).col_tiles > 1
    # nothing fits: no tiling
    assert choose_tiles(problem(70, 100, 0), 500) is None


@needs_compiler
def test_detailed_engine_tiled_is_faster_than_reading_l2(tmp_path):
    """With the activations in L2 the detailed engine charges 10 cycles per core access; staged
    through L1 the same network takes fewer cycles, with the same outputs."""
    case = load_conformance_case(CONFORMANCE / "Kernels" / "Integer" / "iNoNorm")
    options = DeployOptions(cores=8, placement="l2", engine="detailed")
    tiled = deploy_and_run(case.graph, case.inputs, options, tmp_path / "tiled", golden=False)
    in_place = deploy_and_run(case.graph, case.inputs, DeployOptions(cores=8, placement="l2", engine="detailed", tiling=False),
                              tmp_path / "in_place", golden=False)  # fmt: skip
    _check_result(case.graph, tiled, case.expected)
    _check_result(case.graph, in_place, case.expected)
    assert _tiled_calls(tiled) and not _tiled_calls(in_place)
    assert tiled.network_cycles * 2 < in_place.network_cycles, (tiled.network_cycles, in_place.network_cycles)


@needs_compiler
def test_cli_reports_l1_and_l2_use(tmp_path):
    import json

    from tests.test_deploy_e2e import _cli

    report = tmp_path / "r.json"
    folder = CONFORMANCE / "Kernels" / "Integer" / "Attention"
    proc = _cli("run", folder, "--no-ita", "--l1-kib", "48", "--placement", "l2", "--json", report)
    assert proc.returncode == 0, proc.stderr
    memory = json.loads(report.read_text())["memory"]
    assert memory["l1_bytes"] == 48 * 1024 and memory["l1_activations"] == 0 and memory["l1_work_core_tiles"] > 0
    parts = ("l1_stacks", "l1_activations", "l1_work_region", "l1_free")
    assert sum(memory[k] for k in parts) == memory["l1_bytes"] and memory["l1_free"] >= 0
    assert f"memory: L1 49152 B = stacks {memory['l1_stacks']}" in proc.stdout
    assert "core kernel calls run tile by tile through L1" in proc.stdout
    for l1_kib, message in (
        ("30", "--l1-kib must be a multiple of 4 in 4..128, got 30"),
        ("32", "stack size 2048 B per hart x 9 harts does not fit half of the 32 KiB L1 (give more L1 or smaller stacks)"),
        ("40", "ITA's smallest L1 region (27136 B: two slots per operand and the logits of a query group) does not fit "
               "the 21504 B of L1 left after the stacks; give more L1 (--l1-kib) or use --no-ita"),
    ):  # fmt: skip
        bad = _cli("run", "tiny", "--l1-kib", l1_kib)
        assert bad.returncode != 0 and bad.stderr.strip().splitlines()[-1] == f"deploy: error: {message}", bad.stderr
