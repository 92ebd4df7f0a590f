"""Model zoo (deploy.models): integer ONNX graphs of the paper's networks with seeded random weights.

- tiny and the paper's networks (one layer, 64 tokens) import with load_onnx and run on the golden
  executor with the expected shapes;
- count_macs equals a hand count from the dimensions;
- every requantized activation uses the int8 range sensibly (spread, saturation, no wrap-around);
- attention is laid out as Deeploy's graphs lay it out (Q/K/V projections, heads by Reshape +
  Transpose, QK^T + RequantShift + ITAMax, AV, concatenated heads, output projection);
- the same seed gives the same bytes; save_model writes a Deeploy test folder that is bit-exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from deploy.conformance import load_conformance_case
from deploy.golden import run_golden
from deploy.models import ZOO, ModelSpec, build_model, count_macs, get_spec, macs_by_node, save_model
from deploy.models.__main__ import main as cli_main
from deploy.onnx_import import load_onnx

ROOT = Path(__file__).resolve().parent.parent
ICCT = ROOT.parent / "shared" / "conformance" / "deeploy" / "Models" / "CCT" / "Int" / "ICCT"

# (zoo name, seq override, layers override): the paper's networks at 64 tokens and one layer
CASES = [
    ("tiny", None, None),
    ("mobilebert", 64, 1),
    ("mobilebert_hf", 64, 1),
    ("dinov2_vits14", 64, 1),
    ("whisper_tiny_encoder", 64, 1),
]
VOCABULARY = {"MatMul", "Add", "RequantShift", "Reshape", "Transpose", "ITAMax", "iGELU", "iLayerNorm", "iNoNorm"}
REQUANTIZED = ("RequantShift", "iLayerNorm", "iNoNorm")


class Built:
    def __init__(self, name, seq, layers, folder: Path):
        self.spec = get_spec(name, seq, layers)
        self.model, self.inputs = build_model(name, seq=seq, layers=layers)
        path = folder / f"{name}.onnx"
        onnx.save(self.model, str(path))
        self.graph = load_onnx(path)
        self.run = run_golden(self.graph, self.inputs)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    cache = {}

    def get(case):
        if case not in cache:
            cache[case] = Built(*case, folder)
        return cache[case]

    return get


def ids(case):
    return case[0]


# ---------------------------------------------------------------- the zoo


def test_zoo_dimensions():
    mb = ZOO["mobilebert"]
    assert (mb.layers, mb.hidden, mb.bottleneck, mb.heads, mb.head_dim, mb.ffn, mb.ffn_stack) == (
        24, 512, 128, 4, 32, 512, 4,
    )  # fmt: skip
    assert (mb.norm, mb.activation) == ("nonorm", "relu")
    dino = ZOO["dinov2_vits14"]
    assert (dino.layers, dino.hidden, dino.heads, dino.head_dim, dino.ffn) == (12, 384, 6, 64, 1536)
    whisper = ZOO["whisper_tiny_encoder"]
    assert (whisper.layers, whisper.hidden, whisper.heads, whisper.head_dim, whisper.ffn) == (4, 384, 6, 64, 1536)
    for spec in (dino, whisper):
        assert (spec.norm, spec.activation) == ("layernorm", "gelu")
    tiny = ZOO["tiny"]
    assert (tiny.layers, tiny.hidden, tiny.heads, tiny.ffn, tiny.seq) == (2, 64, 2, 128, 64)
    assert all(spec.seq == 128 for name, spec in ZOO.items() if name != "tiny")


def test_spec_validation_and_lookup():
    with pytest.raises(KeyError, match="unknown model"):
        get_spec("bert-large")
    with pytest.raises(ValueError, match="heads"):
        ModelSpec(name="bad", layers=1, hidden=64, heads=3, head_dim=32, ffn=128)
    with pytest.raises(ValueError, match="norm"):
        ZOO["tiny"].replace(norm="batchnorm")
    assert get_spec("dinov2_vits14", seq=257, layers=2).padded_seq() == 320
    assert get_spec("whisper_tiny_encoder", seq=1500).padded_seq() == 1536


# ---------------------------------------------------------------- import, run, shapes


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_imports_and_runs(built, case):
    b = built(case)
    seq = b.spec.padded_seq()
    assert b.graph.inputs == ["input"] and b.graph.outputs == ["output"]
    for name in ("input", "output"):
        tensor = b.graph.tensor(name)
        assert tensor.shape == (1, seq, b.spec.hidden) and tensor.dtype == np.int8
    assert b.run.outputs["output"].shape == (1, seq, b.spec.hidden)
    assert set(b.graph.op_types()) <= VOCABULARY
    assert sum(n.op_type == "ITAMax" for n in b.graph.nodes) == b.spec.layers
    norm = "iNoNorm" if b.spec.norm == "nonorm" else "iLayerNorm"
    assert norm in b.graph.op_types()
    assert ("iGELU" in b.graph.op_types()) == (b.spec.activation == "gelu")


# ---------------------------------------------------------------- MACs


def layer_macs(spec: ModelSpec, s: int) -> int:
    """MACs of one layer, by hand from the dimensions."""
    h, p, f = spec.heads, spec.head_dim, spec.ffn
    hp = h * p
    attention_core = 2 * h * s * s * p  # QK^T and AV
    if spec.architecture == "pre_ln":
        e = spec.hidden
        return s * e * 3 * hp + attention_core + s * hp * e + 2 * s * e * f
    e, bn = spec.hidden, spec.bottleneck
    macs = s * e * bn  # bottleneck in
    if spec.attention_input == "shared_qk":
        macs += s * e * bn + 2 * s * bn * hp + s * e * hp  # shared Q/K bottleneck, Q, K; V from the hidden state
    else:
        macs += 3 * s * bn * hp
    macs += attention_core + s * hp * bn  # output projection
    macs += spec.ffn_stack * 2 * s * bn * f
    return macs + s * bn * e  # bottleneck out


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_mac_count_matches_hand_count(built, case):
    b = built(case)
    assert count_macs(b.graph) == b.spec.layers * layer_macs(b.spec, b.spec.padded_seq())
    assert count_macs(b.model) == count_macs(b.graph)
    assert sum(macs_by_node(b.graph).values()) == count_macs(b.graph)


def test_mac_count_examples():
    # MobileBERT (attention on the 128-wide bottleneck), one layer of 128 tokens:
    # 512*128 in + 3*128*128 QKV + 128*128 out + 4*2*128*512 FFNs + 128*512 out = 720896 per token
    assert layer_macs(ZOO["mobilebert"], 128) == 128 * 720896 + 2 * 4 * 128 * 128 * 32
    # ICCT (Conv stem, one head, Gemm classifier) exercises the Conv and Gemm counts
    icct = load_conformance_case(ICCT).graph
    conv = 128 * 18 * 18 * 3 * 3 * 3
    attention = 3 * 64 * 128 * 192 + 2 * 64 * 64 * 192 + 64 * 192 * 128
    assert count_macs(icct) == conv + attention + 2 * 64 * 128 * 512 + 10 * 128


# ---------------------------------------------------------------- quantization quality


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_activation_spread(built, case):
    b = built(case)
    checked = 0
    for record in b.run.records:
        assert record.wrapped == 0, f"{record.node}: {record.wrapped} values wrapped"
        if record.op_type not in REQUANTIZED:
            continue
        values = b.run.values[record.output].astype(np.int64)
        if record.dtype == np.int8:
            saturated = np.mean((values == 127) | (values == -128))
        else:  # unsigned (integer ReLU): 0 is the floor of the activation, 255 the saturation
            assert record.dtype == np.uint8
            saturated = np.mean(values == 255)
        assert 5 <= values.std() <= 60, f"{record.node}: std {values.std():.1f}"
        assert saturated < 0.05, f"{record.node}: {saturated:.1%} saturated"
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_softmax_is_not_degenerate(built, case):
    b = built(case)
    seq = b.spec.padded_seq()
    for node in b.graph.nodes:
        if node.op_type == "ITAMax":
            probabilities = b.run.values[node.outputs[0]].astype(np.int64)
            assert probabilities.shape == (1, b.spec.heads, seq, seq)
            assert np.all(probabilities.sum(axis=-1) <= 255)
            assert probabilities.max(axis=-1).mean() > 2 * 255 / seq  # sharper than uniform
            assert probabilities.max() < 255  # ... but no row is one-hot everywhere


def test_requantization_is_ita_compatible(built):
    for case in CASES:
        graph = built(case).graph
        for node in graph.nodes:
            if node.op_type == "RequantShift":
                mul = graph.tensor(node.inputs[1]).data
                add = graph.tensor(node.inputs[2]).data
                div = 1 << node.attrs.log2d
                assert mul.size == 1 and 1 <= int(mul) <= 255, node.name
                assert int(add) % div == 0 and -128 <= int(add) // div <= 127, node.name
                assert node.attrs.n_levels == 256
            if node.op_type == "Add" and graph.tensor(node.inputs[0]).is_constant:
                assert np.abs(graph.tensor(node.inputs[0]).data).max() < 1 << 23  # ITA's 24-bit bias


# ---------------------------------------------------------------- attention layout


def _producer(graph, tensor, op_type):
    node = graph.producer(tensor)
    assert node is not None and node.op_type == op_type, f"{tensor}: {node and node.op_type} instead of {op_type}"
    return node


def _projection(graph, tensor, out_width):
    """RequantShift <- [Add(bias)] <- MatMul(x, W): returns (x, W shape)."""
    node = _producer(graph, tensor, "RequantShift")
    source = graph.producer(node.inputs[0])
    if source.op_type == "Add":
        bias = graph.tensor(source.inputs[0])
        assert bias.is_constant and bias.shape == (out_width,)
        source = _producer(graph, source.inputs[1], "MatMul")
    assert source.op_type == "MatMul"
    weight = graph.tensor(source.inputs[1])
    assert weight.is_constant and weight.shape[1] == out_width
    return source.inputs[0], weight.shape


def _head_split(graph, tensor, perm, spec, seq):
    transpose = _producer(graph, tensor, "Transpose")
    assert transpose.attrs.perm == perm
    reshape = _producer(graph, transpose.inputs[0], "Reshape")
    assert graph.tensor(reshape.outputs[0]).shape == (1, seq, spec.heads, spec.head_dim)
    return _projection(graph, reshape.inputs[0], spec.attention_dim)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_attention_layout(built, case):
    b = built(case)
    graph, spec, seq = b.graph, b.spec, b.spec.padded_seq()
    for softmax in (n for n in graph.nodes if n.op_type == "ITAMax"):
        logits = _producer(graph, softmax.inputs[0], "RequantShift")
        qk = _producer(graph, logits.inputs[0], "MatMul")
        q_in, q_weight = _head_split(graph, qk.inputs[0], (0, 2, 1, 3), spec, seq)
        k_in, k_weight = _head_split(graph, qk.inputs[1], (0, 2, 3, 1), spec, seq)
        (av,) = graph.consumers(softmax.outputs[0])
        assert av.op_type == "MatMul" and av.inputs[0] == softmax.outputs[0]
        v_in, v_weight = _head_split(graph, av.inputs[1], (0, 2, 1, 3), spec, seq)
        assert q_in == k_in
        if spec.attention_input == "block":
            assert k_in == v_in  # one K/V input, as ITA's attention job needs
            assert q_weight == k_weight == v_weight == (spec.block_width, spec.attention_dim)
        (context,) = graph.consumers(av.outputs[0])
        assert context.op_type == "RequantShift"
        (merge,) = graph.consumers(context.outputs[0])
        assert merge.op_type == "Transpose" and merge.attrs.perm == (0, 2, 1, 3)
        (concat,) = graph.consumers(merge.outputs[0])
        assert concat.op_type == "Reshape" and graph.tensor(concat.outputs[0]).shape == (1, seq, spec.attention_dim)
        (out,) = graph.consumers(concat.outputs[0])
        assert out.op_type == "MatMul"
        assert graph.tensor(out.inputs[1]).shape == (spec.attention_dim, spec.block_width)


def test_whisper_key_projection_has_no_bias(built):
    graph = built(("whisper_tiny_encoder", 64, 1)).graph
    k = graph.producer("layer0_attn_k_RequantShift_output_0")
    assert graph.producer(k.inputs[0]).op_type == "MatMul"
    q = graph.producer("layer0_attn_q_RequantShift_output_0")
    assert graph.producer(q.inputs[0]).op_type == "Add"


# ---------------------------------------------------------------- determinism, padding, saving


def test_same_seed_same_bytes(tmp_path):
    first, inputs = build_model("tiny", seed=3)
    second, again = build_model("tiny", seed=3)
    onnx.save(first, str(tmp_path / "a.onnx"))
    onnx.save(second, str(tmp_path / "b.onnx"))
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()
    assert np.array_equal(inputs["input"], again["input"])
    other, other_inputs = build_model("tiny", seed=4)
    assert other.SerializeToString() != first.SerializeToString()
    assert not np.array_equal(other_inputs["input"], inputs["input"])


def test_fewer_layers_repeat_the_first_layers():
    deep, _ = build_model("tiny", layers=2)
    shallow, _ = build_model("tiny", layers=1)
    deep_constants = {t.name: t for t in deep.graph.initializer}
    layer0 = [t for t in shallow.graph.initializer if t.name.startswith("layer0")]
    assert layer0 and all(t == deep_constants[t.name] for t in layer0)


def test_sequence_is_padded_to_ita_tiles():
    model, inputs = build_model("tiny", seq=50)
    tokens = inputs["input"]
    assert tokens.shape == (1, 64, 64) and tokens.dtype == np.int8
    assert np.all(tokens[0, 50:] == 0) and np.count_nonzero(tokens[0, :50]) > 0.9 * 50 * 64
    metadata = {p.key: p.value for p in model.metadata_props}
    assert (metadata["seq"], metadata["padded_seq"]) == ("50", "64")
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 64, 64]


def test_save_model_writes_a_deeploy_test_folder(tmp_path):
    folder = save_model("tiny", tmp_path / "tiny", seed=1)
    assert sorted(p.name for p in folder.iterdir()) == ["inputs.npz", "network.onnx", "outputs.npz"]
    with np.load(folder / "inputs.npz") as archive:
        assert archive.files == ["input"] and archive["input"].dtype == np.int64
    case = load_conformance_case(folder)
    run = run_golden(case.graph, case.inputs)
    assert np.array_equal(run.outputs["output"], case.expected["output"])
    model, _ = build_model("tiny", seed=1)
    assert (folder / "network.onnx").read_bytes() == model.SerializeToString()


def test_cli(tmp_path, capsys):
    assert cli_main(["list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in ZOO)
    assert cli_main(["stats", "tiny", "--layers", "1"]) == 0
    assert f"{layer_macs(ZOO['tiny'], 64)} MAC" in capsys.readouterr().out
    assert cli_main(["save", "tiny", str(tmp_path / "t"), "--seq", "64"]) == 0
    assert (tmp_path / "t" / "outputs.npz").exists()
