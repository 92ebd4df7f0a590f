"""Deploy flow with ITA: pattern matching, numerics checks, and end-to-end runs on the simulated
cluster (ITA peripheral + DMA, strict mode), bit-exact with the golden executor and Deeploy's
outputs.npz.

- Planner (no compiler needed): what the zoo's attention and FFN, ICCT and the conformance
  Attention network map to ITA, and why the rest stays on the cores; ITA's requantization
  equals RequantShift on every accumulator the checks admit; the graph's softmax variants are
  the iss.ita variants the flow matches them with.
- End to end: `tiny` with ITA (softmax on the cores; and fused on ITA with --ita-softmax
  deeploy-itamax), with --no-ita (same outputs, all on the cores); ICCT (Models/CCT/Int/ICCT: an
  attention network whose projections, A.V and FFN run on ITA) and Kernels/Integer/Attention
  (nothing fits ITA bit for bit: every multiplier is 257 * 2^k / 2^16) against outputs.npz; one
  MobileBERT layer (ReLU FFN through the unsigned-offset path); shapes that are not multiples of
  64 (padding and cropping); the per-layer DMA bytes add up to the simulator's DMA count.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from deploy.conformance import load_conformance_case
from deploy.flow import DeployOptions, deploy_and_run
from deploy.golden import run_golden
from deploy.golden.requant import requantize as graph_requantize
from deploy.lowering import lower, run_graph_passes
from deploy.lowering.engines import available_engines
from deploy.lowering.ita_patterns import Planner, requant_for_ita
from deploy.memory import check_plan
from deploy.models import build_model, count_macs
from deploy.onnx_import import import_model
from iss.ita.requant import Requant, requantize as ita_requantize

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "deeploy"
ATTENTION = CONFORMANCE / "Kernels" / "Integer" / "Attention"
ICCT = CONFORMANCE / "Models" / "CCT" / "Int" / "ICCT"


def _compiler_available() -> bool:
    from toolchain.build import find_compiler

    try:
        find_compiler()
    except Exception:  # noqa: BLE001
        return False
    return True


needs_compiler = pytest.mark.skipif(not _compiler_available(), reason="no RISC-V cross compiler")
needs_conformance = pytest.mark.skipif(not ATTENTION.is_dir(), reason=f"no conformance data under {CONFORMANCE}")


def zoo(name: str, **kwargs):
    model, inputs = build_model(name, **kwargs)
    return import_model(model, name), inputs


def plan_of(graph, variant="ita-paper"):
    return Planner(run_graph_passes(graph), variant).plan()


def _decisions(plan, kind):
    return {key for key, d in plan.decisions.items() if d.kind == kind}


# ---------------------------------------------------------------- requantization


def test_requant_fits_only_when_exact():
    assert requant_for_ita(200, 3 << 14, 14, 256, True, 10_000)[0].add == 3
    # mul 510 / 2^16 == 255 / 2^15 exactly, rounding included
    rq, _ = requant_for_ita(510, 0, 16, 256, True, 100_000)
    assert (rq.eps_mult, rq.right_shift) == (255, 15)
    for mul, add, log2d, signed, bound, why in (
        (257, 0, 16, True, 1 << 16, "8-bit eps_mult"),  # Kernels/Integer/Attention's projections
        (515, -17473536, 14, True, 1 << 16, "multiple of 2^14"),  # ICCT's QK requantization
        (100, 1 << 10, 14, True, 1 << 16, "multiple"),
        (100, 200 << 8, 8, True, 1 << 16, "int8 add"),
        (100, 0, 14, False, 1 << 16, "unsigned"),
        (255, 0, 8, True, 1 << 24, "wrap"),  # 2^24 * 255 overflows the graph's int32
    ):
        rq, reason = requant_for_ita(mul, add, log2d, 256, signed, bound)
        assert rq is None and why in reason, (mul, reason)


def test_ita_requantization_equals_requant_shift_on_every_admitted_accumulator():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(300):
        log2d = int(rng.integers(0, 20))
        mul = int(rng.integers(1, 1024))
        add = int(rng.integers(-130, 130)) << log2d
        bound = int(rng.integers(1, 1 << 16))
        for signed, offset in ((True, False), (False, True)):
            rq, _ = requant_for_ita(mul, add, log2d, 256, signed, bound, offset_out=offset)
            if rq is None:
                continue
            acc = np.arange(-bound, bound + 1)
            want = graph_requantize(acc, mul, add, log2d, 256, signed)
            got = ita_requantize(acc, Requant(rq.eps_mult, rq.right_shift, rq.add)).astype(np.int64)
            assert np.array_equal(got + (128 if offset else 0), want), (mul, add, log2d, signed)
            checked += 1
    assert checked > 100


def test_graph_softmaxes_are_the_iss_variants_they_are_matched_with():
    from deploy.golden.softmax import ita_max, ita_partial_max
    from deploy.operators.quantized import ITAMaxAttrs, ITAPartialMaxAttrs
    from iss.ita.softmax import SoftmaxVariant, itamax

    rng = np.random.default_rng(3)
    differ = 0
    for _ in range(50):
        x = np.clip(np.rint(rng.normal(0, 40, (64, 64 * int(rng.integers(1, 4))))), -128, 127).astype(np.int64)
        assert np.array_equal(ita_max(ITAMaxAttrs(n_levels=256), x), itamax(x, SoftmaxVariant.DEEPLOY_ITAMAX))
        partial = ita_partial_max(ITAPartialMaxAttrs(group_width=16, n_levels=256), x.astype(np.int8))
        assert np.array_equal(partial, itamax(x, SoftmaxVariant.DEEPLOY_ITAPARTIALMAX))
        differ += int(np.any(ita_max(ITAMaxAttrs(n_levels=256), x) != itamax(x, SoftmaxVariant.ITA_PAPER)))
    assert differ > 0  # the paper-time ITA is another softmax: never substituted


# ---------------------------------------------------------------- pattern matching


def test_tiny_attention_and_ffn_map_to_ita_head_by_head():
    graph, _ = zoo("tiny")
    plan = plan_of(graph)
    matmuls = {d.candidate.name: d.candidate for d in plan.decisions.values() if d.kind == "matmul"}
    for layer in ("layer0", "layer1"):
        for part in ("attn_q", "attn_k", "attn_v", "attn_qk", "attn_av", "attn_out", "ffn_fc1", "ffn_fc2"):
            assert f"{layer}_{part}" in matmuls
        # V is computed transposed (ITA's V step), QK and A.V run per head through the head split
        assert matmuls[f"{layer}_attn_v"].transposed_out
        assert len(matmuls[f"{layer}_attn_qk"].a_reads) == 2 and matmuls[f"{layer}_attn_av"].a_prep
        assert matmuls[f"{layer}_attn_av"].out_writes[0].tensor == f"{layer}_attn_heads_Transpose_output_0"
        for t in ("q", "k", "v", "heads"):
            assert f"{layer}_attn_{t}_Transpose" in _decisions(plan, "absorbed")
    notes = "\n".join(plan.notes)
    assert "layer0_attn_softmax_ITAMax: on the cores (the graph's ITAMax is the deeploy-itamax variant" in notes
    assert "layer0_ffn_act_iGELU: on the cores" in notes


def test_tiny_fuses_qk_softmax_av_when_ita_computes_the_graphs_softmax():
    graph, _ = zoo("tiny")
    plan = plan_of(graph, "deeploy-itamax")
    fused = [d.fused for d in plan.decisions.values() if d.kind == "attention"]
    assert [f.av.name for f in fused] == ["layer0_attn_av", "layer1_attn_av"]
    assert {"layer0_attn_qk_MatMul", "layer0_attn_softmax_ITAMax"} <= _decisions(plan, "absorbed")
    assert not any("softmax" in note for note in plan.notes)


def test_mobilebert_relu_ffn_uses_the_unsigned_offset():
    graph, _ = zoo("mobilebert", layers=1)
    plan = plan_of(graph)
    c = {d.candidate.name: d.candidate for d in plan.decisions.values() if d.kind == "matmul"}
    assert c["layer0_ffn0_fc1"].offset_out and c["layer0_ffn0_fc1"].requant.add == -128
    assert c["layer0_ffn0_fc2"].a_offset_input and not c["layer0_ffn0_fc2"].a_prep
    assert len(c) == 16  # every MatMul of the layer


def _unsigned_av_calls(network, av: str):
    """(the calls of A.V's operand prep layer, the softmax call writing its probabilities)."""
    from deploy.lowering.ita import SOFTMAX_CALLS

    prep = next(layer for layer in network.layers if layer.name == f"{av} (ITA operand prep)")
    probs = next(layer for layer in network.layers if layer.name == av).calls()[0].inp.tensor
    writers = [call for layer in network.layers for call in layer.kernel_calls() if probs in call.writes()]
    assert len(writers) == 1 and isinstance(writers[0], SOFTMAX_CALLS)
    return prep.kernel_calls(), writers[0]


def test_unsigned_av_has_no_separate_flip():
    """The softmax stores the probabilities as int8 u - 128 (out_xor 0x80) for A.V, its only reader;
    the prep layer only computes the run-time bias, one call for every head."""
    from deploy.lowering.ita import UnsignedBiasCall

    graph, _ = zoo("mobilebert", layers=1)
    network = lower(graph, available_engines(True))
    prep, softmax = _unsigned_av_calls(network, "layer0_attn_av")
    assert softmax.out_xor == 0x80
    assert [type(call) for call in prep] == [UnsignedBiasCall] and prep[0].heads == 4
    readers = [call for layer in network.layers for call in layer.calls() if softmax.y in call.reads()]
    assert len(readers) == 1 and readers[0].function == "dita_matmul"
    # without ITA the softmax stores the golden's bytes
    plain = lower(graph, available_engines(False))
    assert all(getattr(call, "out_xor", 0) == 0 for layer in plain.layers for call in layer.calls())


@needs_conformance
def test_conformance_attention_has_nothing_ita_can_run_bit_for_bit():
    plan = plan_of(load_conformance_case(ATTENTION).graph)
    assert not _decisions(plan, "matmul") and not _decisions(plan, "attention")
    notes = "\n".join(plan.notes)
    assert "MatMul_24: on the cores (multiplier 257/2^16 has no 8-bit eps_mult" in notes
    assert "iSoftmax_41: on the cores" in notes


@needs_conformance
def test_icct_projections_av_and_ffn_map_to_ita():
    plan = plan_of(load_conformance_case(ICCT).graph)
    names = {d.candidate.name for d in plan.decisions.values() if d.kind == "matmul"}
    assert "_MatMul_1" in names and len(names) == 7  # Q, K, V, A.V, out projection, FC1, FC2
    assert any(n.startswith("_MatMul: on the cores (add -17473536") for n in plan.notes)


# ---------------------------------------------------------------- end to end


def _run(graph, inputs, tmp_path, **options):
    # strict: the simulator stops the run if the driver touches a tile before its DMA transfer or
    # ITA job is done, or reuses a buffer an unfinished job still reads
    result = deploy_and_run(graph, inputs, DeployOptions(cores=8, strict=True, **options), tmp_path)
    assert result.matches_golden, result.mismatches
    network = result.network
    assert network.macs == count_macs(graph)
    assert sum(result.layer_cycles) == result.network_cycles and all(c > 0 for c in result.layer_cycles)
    check_plan(network, result.built.plan)
    return result


def _ita_layers(result):
    return [layer for layer in result.network.layers if layer.engine == "ita"]


def _check_ita_accounting(result):
    # the DMA bytes the driver counts per layer are all the simulator's DMA engine moved
    assert sum(result.layer_dma_bytes) == result.dma.bytes > 0
    # the cores' layers move what the tiling plan says (deploy/tiling.py computes it independently)
    assert all(b == layer.dma_bytes for layer, b in zip(result.network.layers, result.layer_dma_bytes) if layer.engine != "ita")
    assert result.ita.jobs > 0 and 0 < result.ita.mac_utilisation <= 1


@needs_compiler
def test_tiny_with_ita_is_bit_exact_and_reports_ita_layers(tmp_path):
    from deploy.report import format_report, layer_rows

    graph, inputs = zoo("tiny")
    result = _run(graph, inputs, tmp_path / "ita", ita=True)
    ita = _ita_layers(result)
    assert len(ita) == 16
    assert sum(layer.macs for layer in ita) == result.network.macs  # every MAC on ITA
    _check_ita_accounting(result)
    rows = layer_rows(result)
    assert {r.engine for r in rows} == {"ITA", "cores"}
    text = format_report(result, DeployOptions(ita=True), "tiny", [("check", True)])
    assert "ITA:" in text and "e.g. layer0_attn_softmax_ITAMax): on the cores" in text

    plain = _run(graph, inputs, tmp_path / "cores", ita=False)
    assert {layer.engine for layer in plain.network.layers} == {"cores"}
    assert all(np.array_equal(plain.outputs[k], result.outputs[k]) for k in result.outputs)
    assert sum(result.layer_cycles) < sum(plain.layer_cycles)


@needs_compiler
def test_tiny_fused_attention_on_ita_with_deeploys_softmax(tmp_path):
    graph, inputs = zoo("tiny")
    result = _run(graph, inputs, tmp_path, ita=True, ita_softmax="deeploy-itamax")
    fused = [layer for layer in result.network.layers if "QK+softmax+AV" in layer.name]
    assert len(fused) == 2 and all(layer.engine == "ita" for layer in fused)
    assert not any(layer.kind == "ITAMax" for layer in result.network.layers)
    _check_ita_accounting(result)


@needs_compiler
@needs_conformance
def test_icct_with_ita_equals_outputs_npz(tmp_path):
    case = load_conformance_case(ICCT)
    result = _run(case.graph, case.inputs, tmp_path / "ita", ita=True)
    for name, want in case.expected.items():
        assert result.outputs[name].tobytes() == want.tobytes()
    assert len(_ita_layers(result)) == 7
    assert any(layer.name == "_MatMul_1 (ITA operand prep)" and layer.engine == "cores" for layer in result.network.layers)
    _check_ita_accounting(result)
    plain = _run(case.graph, case.inputs, tmp_path / "cores", ita=False)
    assert {layer.engine for layer in plain.network.layers} == {"cores"}
    assert all(np.array_equal(plain.outputs[k], result.outputs[k]) for k in result.outputs)


@needs_compiler
@needs_conformance
def test_conformance_attention_with_ita_requested_equals_outputs_npz(tmp_path):
    case = load_conformance_case(ATTENTION)
    result = _run(case.graph, case.inputs, tmp_path, ita=True)
    for name, want in case.expected.items():
        assert result.outputs[name].tobytes() == want.tobytes()
    assert {layer.engine for layer in result.network.layers} == {"cores"}  # why: see the planner test
    assert any("257/2^16" in note for note in result.network.ita_notes)


@needs_compiler
def test_mobilebert_layer_with_ita(tmp_path):
    graph, inputs = zoo("mobilebert", layers=1, seq=64)
    result = _run(graph, inputs, tmp_path, ita=True)
    assert len(_ita_layers(result)) == 16
    _check_ita_accounting(result)


@needs_compiler
def test_unsigned_av_bias_is_tiled_and_the_softmax_flips(tmp_path):
    """End to end with the activations in L2: the flip is the softmax's (no dita_unsigned_offset),
    the run-time bias goes through L1 tiles, outputs still bit for bit."""
    from deploy.tiling import TiledCall

    graph, inputs = zoo("mobilebert", layers=1)
    result = _run(graph, inputs, tmp_path, ita=True, placement="l2")
    network = result.network
    prep, softmax = _unsigned_av_calls(network, "layer0_attn_av")
    assert softmax.out_xor == 0x80 and [call.function for call in prep] == ["dita_unsigned_bias"]
    layer = next(layer for layer in network.layers if layer.name == "layer0_attn_av (ITA operand prep)")
    assert all(isinstance(call, TiledCall) for call in layer.calls()) and layer.dma_bytes > 0
    assert not any(kernel == "dita_unsigned_bias" for _, kernel, _ in network.tiling.in_place)
    _check_ita_accounting(result)


@needs_compiler
def test_unsigned_av_after_itapartialmax(tmp_path):
    """tiny with Deeploy's streaming softmax (as the ICCT_ITA networks have): ITAPartialMax on the
    cores stores int8 u - 128 for A.V on ITA."""
    from onnx import helper

    model, inputs = build_model("tiny")
    for node in model.graph.node:
        if node.op_type == "ITAMax":
            node.op_type = "ITAPartialMax"
            node.attribute.append(helper.make_attribute("group_width", 16))
    result = _run(import_model(model, "tiny_partial"), inputs, tmp_path, ita=True)
    prep, softmax = _unsigned_av_calls(result.network, "layer0_attn_av")
    assert softmax.function == "kernel_itapartialmax_s8u8" and softmax.out_xor == 0x80
    assert [call.function for call in prep] == ["dita_unsigned_bias"]
    _check_ita_accounting(result)


def _odd_model(activation: str, seq: int):
    """One pre-LN layer with sizes that are not multiples of 64: width 96 (3 heads of 32), FFN 100."""
    from deploy.models.builder import GraphBuilder
    from deploy.models.spec import ModelSpec
    from deploy.models.transformer import pre_ln_layer

    spec = ModelSpec(name="odd", layers=1, hidden=96, heads=3, head_dim=32, ffn=100, activation=activation)
    rng = np.random.default_rng(11)
    b = GraphBuilder("odd", rng)
    x = b.input("input", np.clip(np.rint(rng.normal(0, 24, (1, seq, 96))), -127, 127).astype(np.int8))
    out = b.rename(pre_ln_layer(b, spec, x, "l0"), "output")
    return import_model(b.model([out]), "odd"), {"input": b.values["input"]}


@needs_compiler
@pytest.mark.parametrize("activation,seq", [("relu", 40), ("gelu", 72)])
def test_shapes_that_need_padding(tmp_path, activation, seq):
    graph, inputs = _odd_model(activation, seq)
    result = _run(graph, inputs, tmp_path, ita=True, ita_softmax="deeploy-itamax")
    ita = _ita_layers(result)
    assert len(ita) >= 8  # q, k, v, qk, av, out, fc1, fc2 (S not a multiple of 64: no fused softmax)
    assert any(layer.kind == "ITAMax" and layer.engine == "cores" for layer in result.network.layers)
    _check_ita_accounting(result)


@needs_compiler
def test_cli_reports_ita(tmp_path):
    from deploy.cli import main

    out = tmp_path / "report.json"
    assert main(["run", "tiny", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    engines = {layer["engine"] for layer in data["layers"]}
    assert engines == {"ITA", "cores"} and data["ita_softmax"] == "ita-paper"
    assert data["ita"]["jobs"] > 0 and data["total"]["dma_bytes"] == data["ita"]["dma_bytes"]
    assert data["outputs_match"]
    assert main(["run", "tiny", "--no-ita", "--json", str(out)]) == 0
    assert {layer["engine"] for layer in json.loads(out.read_text())["layers"]} == {"cores"}


def test_lowering_without_ita_uses_the_cores_only():
    graph, _ = zoo("tiny")
    network = lower(graph, available_engines(False))
    assert network.engines() == ["cores"]
    golden = run_golden(graph, {"input": np.zeros((1, 64, 64), np.int8)})
    assert golden.outputs
