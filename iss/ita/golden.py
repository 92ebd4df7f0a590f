"""Job-level golden model of ITA: Linear, Feedforward, Attention (one head), SingleAttention.

Operands are logical matrices in the orientation of docs/ita-layouts.md: activations are row-major
(tokens x features); every weight is given as ITA's weight tile holds it, one row per output column
(out x in, i.e. the transpose of the math W in y = x W). Biases are int24 values in an int array, or
None for no bias. Results do not depend on the 64 x 64 x 64 job tiling: partial sums stay exact inside
ITA, and each softmax row only depends on that row, so whole matrices are computed at once here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .activation import ActivationParams, activate
from .requant import BIAS_MAX, BIAS_MIN, Requant, RequantSets, requantize, saturate_acc
from .softmax import SoftmaxVariant, itamax

TILE = 64
MAX_DIM = 512  # PyITA `_validate_matrix_constraints`


def check_dim(name: str, value: int) -> int:
    if value <= 0 or value % TILE or value > MAX_DIM:
        raise ValueError(f"ITA: {name} = {value} must be a positive multiple of {TILE} and at most {MAX_DIM}")
    return value


@dataclass(frozen=True)
class Shapes:
    """S sequence length, E embedding, P projection (one head), F feed-forward width."""

    S: int
    E: int
    P: int = TILE
    F: int = TILE

    def __post_init__(self):
        for name in ("S", "E", "P", "F"):
            check_dim(name, getattr(self, name))


def _mat(name: str, a, shape: tuple[int, int], lo: int = -128, hi: int = 127) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != shape:
        raise ValueError(f"ITA: {name} has shape {a.shape}, expected {shape}")
    if a.size and (a.min() < lo or a.max() > hi):
        raise ValueError(f"ITA: {name} has values outside [{lo}, {hi}]")
    return a.astype(np.int64)


def _bias(name: str, b, n: int) -> np.ndarray:
    if b is None:
        return np.zeros(n, dtype=np.int64)
    return _mat(name, np.reshape(b, (1, -1)), (1, n), BIAS_MIN, BIAS_MAX)[0]


def matmul_requant(x, w, bias, rq: Requant, act: ActivationParams | None = None, *, bias_rows=False) -> np.ndarray:
    """One step: requant(saturate(x @ w.T + bias)), then the activation unit. x may be int8 or uint8
    (AV feeds the probabilities unsigned); bias is int24 or None; `bias_rows` adds bias[i] to row i
    instead of column i (V, computed transposed)."""
    x, w = np.asarray(x, dtype=np.int64), np.asarray(w, dtype=np.int64)
    acc = x @ w.T
    bias = _bias("bias", bias, acc.shape[0] if bias_rows else acc.shape[1])
    acc = acc + (bias[:, None] if bias_rows else bias[None, :])
    y = requantize(saturate_acc(acc), rq)
    return y if act is None else activate(y, act)


@dataclass(frozen=True, eq=False)
class LinearParams:
    w: np.ndarray  # (F, E) int8: out x in
    b: np.ndarray | None  # (F,) int24
    rq: Requant  # the Linear step uses requantization set 0 (Q) of the registers
    act: ActivationParams = field(default_factory=ActivationParams)


def linear(x, p: LinearParams) -> np.ndarray:
    """Linear mode: x (S, E) int8 -> (S, F) int8."""
    w = np.asarray(p.w)
    sh = Shapes(S=np.shape(x)[0], E=np.shape(x)[1], F=w.shape[0])
    return matmul_requant(_mat("x", x, (sh.S, sh.E)), _mat("w", w, (sh.F, sh.E)), _bias("b", p.b, sh.F), p.rq, p.act)


@dataclass(frozen=True, eq=False)
class FeedforwardParams:
    w1: np.ndarray  # (F, E) int8
    b1: np.ndarray | None  # (F,) int24
    w2: np.ndarray  # (E, F) int8
    b2: np.ndarray | None  # (E,) int24
    rq: RequantSets  # uses f1 and f2
    act: ActivationParams = field(default_factory=ActivationParams)  # F1 only; F2 runs Identity


@dataclass(frozen=True, eq=False)
class FeedforwardResult:
    h: np.ndarray  # (S, F) int8, F1 output after the activation
    out: np.ndarray  # (S, E) int8, F2 output


def feedforward(x, p: FeedforwardParams) -> FeedforwardResult:
    """Feedforward mode: F1 = act(requant(x W1^T + b1)), F2 = requant(h W2^T + b2)."""
    sh = Shapes(S=np.shape(x)[0], E=np.shape(x)[1], F=np.shape(p.w1)[0])
    x = _mat("x", x, (sh.S, sh.E))
    h = matmul_requant(x, _mat("w1", p.w1, (sh.F, sh.E)), _bias("b1", p.b1, sh.F), p.rq.f1, p.act)
    out = matmul_requant(h, _mat("w2", p.w2, (sh.E, sh.F)), _bias("b2", p.b2, sh.E), p.rq.f2)
    return FeedforwardResult(h=h, out=out)


@dataclass(frozen=True, eq=False)
class AttentionParams:
    wq: np.ndarray  # (P, E) int8
    wk: np.ndarray  # (P, E) int8
    wv: np.ndarray  # (P, E) int8
    wo: np.ndarray  # (E, P) int8
    bq: np.ndarray | None = None  # (P,) int24
    bk: np.ndarray | None = None  # (P,) int24
    bv: np.ndarray | None = None  # (P,) int24, one per row of the transposed V
    bo: np.ndarray | None = None  # (E,) int24
    rq: RequantSets = field(default_factory=RequantSets)


@dataclass(frozen=True, eq=False)
class AttentionResult:
    q: np.ndarray | None  # (S, P) int8
    k: np.ndarray | None  # (S, P) int8
    vt: np.ndarray | None  # (P, S) int8: V is computed transposed, Vp^T = Wv^T-tile x X^T
    a: np.ndarray  # (S, S) int8 requantized logits, as stored in L1 by QK
    p: np.ndarray  # (S, S) uint8 probabilities, never stored: applied on the fly during AV
    o: np.ndarray  # (S, P) int8 AV output
    out: np.ndarray | None  # (S, E) int8 OW output (this head's share; the head sum is not ITA's)


def single_attention(q, k, vt, rq: RequantSets, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER) -> AttentionResult:
    """SingleAttention mode: A = requant_qk(Q K^T), O = requant_av(ITAMax(A) Vp), with Vp given as Vp^T."""
    s, pd = check_dim("S", np.shape(q)[0]), check_dim("P", np.shape(q)[1])
    q, k, vt = _mat("q", q, (s, pd)), _mat("k", k, (s, pd)), _mat("vt", vt, (pd, s))
    a = matmul_requant(q, k, None, rq.qk)  # QK and AV have no bias
    probs = itamax(a, variant)
    o = matmul_requant(probs, vt, None, rq.av)
    return AttentionResult(q=None, k=None, vt=None, a=a, p=probs, o=o, out=None)


def attention(x_q, x_kv, p: AttentionParams, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER) -> AttentionResult:
    """Attention mode, one head: Q from x_q; K and V from x_kv (ITA's two inputs; pass one x twice
    for self-attention); QK with ITAMax, AV, OW. x_q and x_kv are (S, E) int8."""
    sh = Shapes(S=np.shape(x_q)[0], E=np.shape(x_q)[1], P=np.shape(p.wq)[0])
    xq, xkv = _mat("x_q", x_q, (sh.S, sh.E)), _mat("x_kv", x_kv, (sh.S, sh.E))
    pe = (sh.P, sh.E)
    q = matmul_requant(xq, _mat("wq", p.wq, pe), _bias("bq", p.bq, sh.P), p.rq.q)
    k = matmul_requant(xkv, _mat("wk", p.wk, pe), _bias("bk", p.bk, sh.P), p.rq.k)
    # V step: the weight tile is streamed as the input and the tokens as the weights.
    vt = matmul_requant(_mat("wv", p.wv, pe), xkv, _bias("bv", p.bv, sh.P), p.rq.v, bias_rows=True)
    r = single_attention(q, k, vt, p.rq, variant)
    out = matmul_requant(r.o, _mat("wo", p.wo, (sh.E, sh.P)), _bias("bo", p.bo, sh.E), p.rq.ow)
    return AttentionResult(q=q, k=k, vt=vt, a=r.a, p=r.p, o=r.o, out=out)
