"""The encoder layers of the zoo, written with GraphBuilder in the layout of Deeploy's attention graphs.

Multi-head attention (one block per layer; mirrors ICCT / Kernels/Integer/Attention so that a
lowering pass can match it and run it head by head on ITA):

    q = RequantShift(Add(bq, MatMul(x_q,  Wq[E, H*P])))      -> Reshape [1,S,H,P] -> Transpose [0,2,1,3] -> [1,H,S,P]
    k = RequantShift(Add(bk, MatMul(x_kv, Wk[E, H*P])))      -> Reshape [1,S,H,P] -> Transpose [0,2,3,1] -> [1,H,P,S]
    v = RequantShift(Add(bv, MatMul(x_kv, Wv[E, H*P])))      -> Reshape [1,S,H,P] -> Transpose [0,2,1,3] -> [1,H,S,P]
    a = ITAMax(RequantShift(MatMul(q, k)))                   # [1,H,S,S] int8 logits -> uint8 probabilities
    o = RequantShift(MatMul(a, v))                           # [1,H,S,P]
    o = Reshape(Transpose(o, [0,2,1,3]), [1,S,H*P])          # concatenated heads
    y = RequantShift(Add(bo, MatMul(o, Wo[H*P, E_out])))

The 1/sqrt(P) of the attention is part of the QK RequantShift. Without an Add the K projection has
no bias (Whisper). Residual connections follow QuantLib's integerized addition (ICCT):
RequantShift each operand to a common scale, Add (int32), RequantShift.
"""

from __future__ import annotations

import numpy as np

from deploy.models.builder import LOGIT_CEILING, LOGIT_TARGET, RELU_TARGET, GraphBuilder
from deploy.models.spec import ModelSpec


def attention(b: GraphBuilder, spec: ModelSpec, x_q: str, x_k: str, x_v: str, e_out: int, name: str) -> str:
    """Multi-head self-attention; returns the requantized output projection [1, S, e_out]."""
    seq = b.shape(x_q)[1]
    heads, dim = spec.heads, spec.head_dim
    q = b.linear(x_q, heads * dim, f"{name}_q")
    k = b.linear(x_k, heads * dim, f"{name}_k", bias=spec.key_bias)
    v = b.linear(x_v, heads * dim, f"{name}_v")
    split = (1, seq, heads, dim)
    q = b.transpose(b.reshape(q, split, f"{name}_q"), (0, 2, 1, 3), f"{name}_q")
    k = b.transpose(b.reshape(k, split, f"{name}_k"), (0, 2, 3, 1), f"{name}_k")
    v = b.transpose(b.reshape(v, split, f"{name}_v"), (0, 2, 1, 3), f"{name}_v")
    logits = b.requant(b.matmul(q, k, f"{name}_qk"), f"{name}_qk", LOGIT_TARGET, ceiling=LOGIT_CEILING)
    probabilities = b.ita_max(logits, f"{name}_softmax")
    context = b.requant(b.matmul(probabilities, v, f"{name}_av"), f"{name}_av")
    context = b.transpose(context, (0, 2, 1, 3), f"{name}_heads")
    context = b.reshape(context, (1, seq, heads * dim), f"{name}_heads")
    return b.linear(context, e_out, f"{name}_out")


def feed_forward(b: GraphBuilder, spec: ModelSpec, x: str, name: str) -> str:
    """Linear(E->F) + activation + Linear(F->E). GELU: RequantShift -> iGELU -> RequantShift (ICCT);
    ReLU: an unsigned RequantShift (uint8 0..255) after the first linear."""
    width = b.shape(x)[-1]
    if spec.activation == "relu":
        hidden = b.linear(x, spec.ffn, f"{name}_fc1", target=RELU_TARGET, signed=False)
    else:
        hidden = b.requant(b.gelu(b.linear(x, spec.ffn, f"{name}_fc1"), f"{name}_act"), f"{name}_act")
    return b.linear(hidden, width, f"{name}_fc2")


def residual(b: GraphBuilder, branch: str, skip: str, name: str) -> str:
    branch = b.requant(branch, f"{name}_branch")
    skip = b.requant(skip, f"{name}_skip")
    return b.requant(b.add(branch, skip, name), name)


def pre_ln_layer(b: GraphBuilder, spec: ModelSpec, x: str, name: str) -> str:
    """ViT/Whisper encoder layer: x += attn(LN(x)); x += ffn(LN(x))."""
    h = b.layer_norm(x, f"{name}_attn_norm")
    x = residual(b, attention(b, spec, h, h, h, spec.hidden, f"{name}_attn"), x, f"{name}_attn_res")
    h = b.layer_norm(x, f"{name}_ffn_norm")
    return residual(b, feed_forward(b, spec, h, f"{name}_ffn"), x, f"{name}_ffn_res")


def mobilebert_layer(b: GraphBuilder, spec: ModelSpec, x: str, name: str) -> str:
    """MobileBERT layer (HF MobileBertLayer with use_bottleneck=True, normalization NoNorm):
    inner = NoNorm(Linear(x, hidden->bottleneck)); h = NoNorm(attn + inner);
    ffn_stack times h = NoNorm(FFN(h) + h); x = NoNorm(Linear(h, bottleneck->hidden) + x)."""
    bottleneck = spec.block_width
    inner = b.no_norm(b.linear(x, bottleneck, f"{name}_bottleneck_in"), f"{name}_bottleneck_in")
    if spec.attention_input == "shared_qk":
        shared = b.no_norm(b.linear(x, bottleneck, f"{name}_bottleneck_qk"), f"{name}_bottleneck_qk")
        context = attention(b, spec, shared, shared, x, bottleneck, f"{name}_attn")
    else:
        context = attention(b, spec, inner, inner, inner, bottleneck, f"{name}_attn")
    h = b.no_norm(residual(b, context, inner, f"{name}_attn_res"), f"{name}_attn_norm")
    for index in range(spec.ffn_stack):
        ffn = feed_forward(b, spec, h, f"{name}_ffn{index}")
        h = b.no_norm(residual(b, ffn, h, f"{name}_ffn{index}_res"), f"{name}_ffn{index}_norm")
    out = b.linear(h, spec.hidden, f"{name}_bottleneck_out")
    return b.no_norm(residual(b, out, x, f"{name}_out_res"), f"{name}_out_norm")


def build_encoder(b: GraphBuilder, spec: ModelSpec, x: str, seed: int) -> str:
    """All layers (and the final LayerNorm of pre-LN encoders); layer i draws its parameters from
    the stream (seed, 1, i), so a shallower build repeats the first layers of a deeper one."""
    layer = pre_ln_layer if spec.architecture == "pre_ln" else mobilebert_layer
    for index in range(spec.layers):
        b.rng = np.random.default_rng([seed, 1, index])
        x = layer(b, spec, x, f"layer{index}")
        b.keep_only([x])
    if spec.final_norm:
        b.rng = np.random.default_rng([seed, 2])
        x = b.layer_norm(x, "final_norm") if spec.norm == "layernorm" else b.no_norm(x, "final_norm")
    return x
