"""Model zoo: integer ONNX graphs of the paper's networks with seeded random weights.

`build_model(name_or_spec, seq=None, seed=0, layers=None)` writes the encoder of MobileBERT,
DINOv2 ViT-S/14, the Whisper-tiny encoder or the `tiny` test configuration (see `ZOO`) as an
integer (int8) ONNX graph in QuantLib/Deeploy's operator vocabulary and conventions
(RequantShift, ITAMax, iGELU, iLayerNorm, iNoNorm, MatMul, Add, Reshape, Transpose; see
`deploy.models.builder`), so that `deploy.onnx_import` and the golden executor run it unchanged.

- **Input**: the graph starts from int8 token embeddings, input `input` of shape [1, S, hidden]
  (batch 1, as in Deeploy's graphs). Tokenizer/embedding tables, DINOv2's patch embedding and
  Whisper's convolutional stem are omitted, as are task heads; the output `output` is the last
  layer's [1, S, hidden] int8 hidden state.
- **Padding**: S is the requested sequence length rounded up to a multiple of 64, ITA's tile size
  (S, E, P and F must be multiples of 64 for ITA). The padded token rows of the shipped input are
  zero. Nothing masks them: the graphs, like ITA (whose softmax has no mask), let real tokens attend
  to the padded keys, so the padding changes the values but not the work of the real tokens; the
  outputs of padded rows are meaningless. Whisper's native 1500 frames become 1536, DINOv2's 257
  tokens 320. Head dimensions are not padded (MobileBERT's P = 32 and `tiny`'s P = 32 are below
  ITA's 64: a lowering to ITA pads them with zero weights).
- **Weights** are seeded random int8 (N(0, 32) clipped); biases and norm parameters are random
  too. Requantization parameters are calibrated on the model's own input (the builder runs the
  golden kernels while it writes the graph): each RequantShift maps its accumulator to an RMS of
  24 (int8), 48 before the unsigned (ReLU) RequantShift, 32 for the pre-softmax logits, so no
  activation is all zero or saturated; mul <= 255 with div = 2^k, i.e. ITA-compatible.
- **Determinism**: same spec, seq and seed give byte-identical ONNX files. Parameters of layer i come
  from their own random stream, so `layers=1` builds exactly the first layer of the full model.

`save_model` writes `network.onnx`, `inputs.npz` (key `input`) and `outputs.npz` (key `output`,
from the golden executor), values stored as int64 like QuantLib's exports: Deeploy's test layout,
loadable with `deploy.conformance.load_conformance_case`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import onnx

from deploy.models.builder import TARGET_STD, GraphBuilder
from deploy.models.spec import ITA_TILE, ZOO, ModelSpec, padded_length
from deploy.models.stats import GraphStats, count_macs, count_parameters, graph_stats, macs_by_node
from deploy.models.transformer import build_encoder

INPUT_NAME = "input"
OUTPUT_NAME = "output"

__all__ = [
    "ITA_TILE",
    "ZOO",
    "GraphStats",
    "ModelSpec",
    "build_model",
    "count_macs",
    "count_parameters",
    "get_spec",
    "graph_stats",
    "macs_by_node",
    "padded_length",
    "save_model",
]


def get_spec(name_or_spec: str | ModelSpec, seq: int | None = None, layers: int | None = None) -> ModelSpec:
    """The zoo entry (or the given spec) with `seq` / `layers` overrides applied."""
    if isinstance(name_or_spec, ModelSpec):
        spec = name_or_spec
    elif name_or_spec in ZOO:
        spec = ZOO[name_or_spec]
    else:
        raise KeyError(f"unknown model '{name_or_spec}'; the zoo has {', '.join(ZOO)}")
    changes = {k: v for k, v in (("seq", seq), ("layers", layers)) if v is not None}
    return spec.replace(**changes) if changes else spec


def embeddings(spec: ModelSpec, seed: int) -> np.ndarray:
    """The shipped input: int8 [1, S_padded, hidden], N(0, 24) clipped for the first `spec.seq` rows,
    zero for the padding rows."""
    rng = np.random.default_rng([seed, 0])
    values = np.zeros((1, spec.padded_seq(), spec.hidden), np.int8)
    tokens = np.clip(np.rint(rng.normal(0.0, TARGET_STD, (spec.seq, spec.hidden))), -127, 127)
    values[0, : spec.seq] = tokens.astype(np.int8)
    return values


def build_model(
    name_or_spec: str | ModelSpec, seq: int | None = None, seed: int = 0, layers: int | None = None
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """(ONNX model, {"input": int8 [1, S, hidden]}) for a zoo name or a ModelSpec.

    `seq` overrides the number of tokens (padded to a multiple of 64), `layers` the depth."""
    spec = get_spec(name_or_spec, seq, layers)
    builder = GraphBuilder(spec.name, np.random.default_rng([seed, 1]))
    x = builder.input(INPUT_NAME, embeddings(spec, seed))
    output = builder.rename(build_encoder(builder, spec, x, seed), OUTPUT_NAME)
    metadata = {
        "spec": json.dumps(asdict(spec), sort_keys=True),
        "seq": str(spec.seq),
        "padded_seq": str(spec.padded_seq()),
        "seed": str(seed),
    }
    doc = (
        f"{spec.name}: {spec.description} Integer encoder with seeded random weights (seed {seed}), "
        f"{spec.layers} layer(s), {spec.seq} tokens padded to {spec.padded_seq()}; input: int8 token "
        f"embeddings [1, {spec.padded_seq()}, {spec.hidden}]. Written by deploy.models."
    )
    model = builder.model([output], doc, metadata)
    return model, {INPUT_NAME: builder.values[INPUT_NAME]}


def save_model(
    name_or_spec: str | ModelSpec,
    folder: str | Path,
    seq: int | None = None,
    seed: int = 0,
    layers: int | None = None,
) -> Path:
    """Write network.onnx, inputs.npz and outputs.npz (golden executor) into `folder`; returns it."""
    from deploy.golden import run_golden
    from deploy.onnx_import import import_model

    model, inputs = build_model(name_or_spec, seq, seed, layers)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    graph = import_model(model, str(folder / "network.onnx"))
    run = run_golden(graph, inputs)
    onnx.save(model, str(folder / "network.onnx"))
    np.savez(folder / "inputs.npz", **{k: v.astype(np.int64) for k, v in inputs.items()})
    np.savez(folder / "outputs.npz", **{k: v.astype(np.int64) for k, v in run.outputs.items()})
    return folder
