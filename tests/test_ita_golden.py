"""ITA golden model (iss/ita) against independent references written here with plain Python ints,
following reference/ita.md literally, and against the ICCT conformance network of Deeploy."""

import math
import operator
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from iss import ita
from iss.ita import Activation, ActivationParams, GeluConstants, Requant, RequantSets, SoftmaxVariant as SV

ICCT = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "deeploy" / "Models" / "CCT" / "Int" / "ICCT"


# ---------------------------------------------------------------- independent references (Python ints)


def ref_requant(acc: int, rq: Requant) -> int:
    """ita.md 3: saturate to 26 bits, then clip_int8(floor(eps*acc / 2**shift + add + 1/2)), exactly."""
    acc = max(-(1 << 25), min((1 << 25) - 1, acc))
    # eps*acc/2**s + add + 1/2 = (2*eps*acc + (2*add + 1) * 2**s) / 2**(s+1); Python's // is the exact floor
    y = (2 * rq.eps_mult * acc + (2 * rq.add + 1) * (1 << rq.right_shift)) // (1 << (rq.right_shift + 1))
    return max(-128, min(127, y))


def ref_matmul(x, wt):
    """x (n, k) times wt^T for wt (m, k), with Python ints."""
    rows, cols = [list(map(int, r)) for r in x], [list(map(int, c)) for c in wt]
    return [[sum(map(operator.mul, r, c)) for c in cols] for r in rows]


def ref_step(x, wt, bias, rq):
    acc = ref_matmul(x, wt)
    bias = [0] * len(wt) if bias is None else [int(b) for b in bias]
    return np.array([[ref_requant(a + b, rq) for a, b in zip(row, bias)] for row in acc])


LITERAL = {  # ita.md 5.2's table: (streaming, initial max, numerator, shift of diff)
    SV.ITA_PAPER: (True, -128, 255 * 256, lambda d: math.floor(Fraction(d, 32) + Fraction(1, 2))),
    SV.ITA_CURRENT: (True, -128, 255 * 256, lambda d: d),
    SV.DEEPLOY_ITAMAX: (False, None, 255 * 256, lambda d: math.floor(Fraction(d, 32) + Fraction(1, 2))),
    SV.DEEPLOY_ITAPARTIALMAX: (True, -128, 127 * 256, lambda d: math.floor(Fraction(d, 32) + Fraction(1, 2))),
    SV.QUANTLIB_ITAPARTIALMAX: (True, -127, 255 * 256, lambda d: math.floor(Fraction(d, 32) + Fraction(1, 2))),
}


def ref_itamax_row(row, variant):
    """The steps of ita.md 5.1, one row, one element at a time."""
    streaming, init, numerator, shift = LITERAL[variant]
    row = [int(v) for v in row]
    if streaming:
        global_max, partial_sum = init, 0
        for g in range(0, len(row), 16):
            group = row[g : g + 16]
            current_max = max(group)
            shift_sum = 0
            if current_max > global_max:
                shift_sum = shift(current_max - global_max)
                global_max = current_max
            exp_sum = sum(256 // 2 ** shift(global_max - v) for v in group)
            partial_sum = partial_sum // 2**shift_sum + exp_sum
    else:
        global_max = max(row)
        partial_sum = sum(256 // 2 ** shift(global_max - v) for v in row)
    inv = numerator // partial_sum
    return [inv // 2 ** shift(global_max - v) for v in row]


def ref_i_gelu(q: int, b: int, c: int) -> int:
    """ita.md 6 (no clip of q, as the RTL), then the RTL's 26-bit two's-complement wrap."""
    sign = (q > 0) - (q < 0)
    erf = sign * ((min(abs(q), -b) + b) ** 2 + c)
    y = q * (erf + c)
    return ((y + (1 << 25)) % (1 << 26)) - (1 << 25)


# ---------------------------------------------------------------- random data as PyITA makes it


def cauchy_int8(rng, shape):
    """PyITA's `random_shuffled_tensor` for int8: Cauchy * 16, clipped."""
    return np.clip(rng.standard_cauchy(shape) * 16, -128, 127).astype(np.int64)


def fit_rq(rng, acc, add=True):
    """Requantization that maps the 99th percentile of |acc| near 127 (random eps as PyITA's [64, 127)),
    so outputs use the whole int8 range with a few saturated values."""
    eps = int(rng.integers(64, 127))
    peak = max(float(np.percentile(np.abs(acc), 99)), 1.0)
    return Requant(eps, max(0, math.ceil(math.log2(eps * peak / 127))), int(rng.integers(-8, 9)) if add else 0)


def bias(rng, n, dim):
    bits = int(math.log2(dim)) + 8  # PyITA: bias width log2(dim) + 8
    return rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), n)


# ---------------------------------------------------------------- requantization


def test_requant_matches_exact_formula():
    rng = np.random.default_rng(1)
    acc = np.concatenate([rng.integers(-(1 << 25), 1 << 25, 400), rng.integers(-3000, 3000, 400)])
    for _ in range(60):
        rq = Requant(int(rng.integers(0, 256)), int(rng.integers(0, 41)), int(rng.integers(-128, 128)))
        got = ita.requantize(acc, rq)
        assert got.dtype == np.int8
        assert got.tolist() == [ref_requant(int(a), rq) for a in acc]
        exact = [math.floor(Fraction(rq.eps_mult * int(a), 2**rq.right_shift) + rq.add + Fraction(1, 2)) for a in acc]
        assert got.tolist() == [max(-128, min(127, y)) for y in exact]


@pytest.mark.parametrize(
    "acc, rq, want",
    [
        (1, Requant(1, 1), 1),  # +0.5 rounds up
        (-1, Requant(1, 1), 0),  # -0.5 rounds up too (half up, not away from zero)
        (-3, Requant(1, 1), -1),  # -1.5 -> -1
        (3, Requant(1, 1), 2),  # 1.5 -> 2
        (-5, Requant(3, 2), -4),  # -3.75 -> -4
        (127, Requant(1, 0), 127),
        (128, Requant(1, 0), 127),  # saturation +
        (-128, Requant(1, 0), -128),
        (-129, Requant(1, 0), -128),  # saturation -
        (126, Requant(1, 0, 1), 127),
        (127, Requant(1, 0, 1), 127),  # add pushes past the top
        (-127, Requant(1, 0, -2), -128),
        (255, Requant(1, 1), 127),  # 127.5 -> 128 -> saturates
        (-257, Requant(1, 1), -128),  # -128.5 -> -128
        (-259, Requant(1, 1), -128),  # -129.5 -> -129 -> saturates
        ((1 << 25) - 1, Requant(255, 0), 127),
        (-(1 << 25), Requant(255, 0), -128),
        (-(1 << 25), Requant(255, 33), -1),  # -255/256 -> -1
        (-(1 << 25), Requant(255, 34), 0),  # -0.498 -> 0
        (-(1 << 25), Requant(255, 255, -7), -7),  # huge shifts leave only add
        (12345, Requant(0, 3, 5), 5),  # eps 0
    ],
)
def test_requant_edge_cases(acc, rq, want):
    assert int(ita.requantize(acc, rq)) == want == ref_requant(acc, rq)


def test_accumulator_saturation_and_ranges():
    assert ita.saturate_acc([1 << 30, -(1 << 30), 5]).tolist() == [(1 << 25) - 1, -(1 << 25), 5]
    with pytest.raises(ValueError, match="26-bit"):
        ita.requantize(1 << 25, Requant())
    for bad in (dict(eps_mult=256), dict(right_shift=-1), dict(add=128), dict(add=-129)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            Requant(**bad)


def test_requant_sets_index_order_and_registers():
    sets = RequantSets(*[Requant(10 + i, 20 + i, i - 4) for i in range(8)])
    assert [sets[s].eps_mult for s in ita.Step] == list(range(10, 18))
    regs = sets.registers()
    assert regs["EPS_MULT0"] == 0x0D0C0B0A and regs["EPS_MULT1"] == 0x11100F0E
    assert regs["RIGHT_SHIFT1"] == 0x1B1A1918
    assert regs["ADD0"] == 0xFFFEFDFC and regs["ADD1"] == 0x03020100


# ---------------------------------------------------------------- ITAMax


def edge_rows(rng, n):
    """A first group of -128, then a group whose max m makes shift(m - init) depend on whether the
    initial max is -128 or -127: m + 144 a multiple of 32 (rounded shifts) or m close to -128 (shift = diff)."""
    m = np.array([-112, -80, -48, -16, 16, 48, 80, 112, -127, -126, -125, -124, -122, -120, -118, -116])[:, None]
    rows = np.concatenate([np.full((16, 16), -128), rng.integers(-128, m + 1, (16, n - 16))], axis=1)
    rows[:, 16 % n] = np.where(n > 16, m[:, 0], -128)
    return rows


@pytest.mark.parametrize("variant", list(SV))
@pytest.mark.parametrize("n", [16, 32, 64, 128])
def test_itamax_matches_literal_steps(variant, n):
    rng = np.random.default_rng(n)
    rows = np.concatenate(
        [
            rng.integers(-128, 128, (24, n)),  # uniform
            np.clip(rng.normal(0, 20, (24, n)), -128, 127).astype(int),  # close values: many shifts 0..2
            np.sort(rng.integers(-128, 128, (8, n)), axis=1),  # the max grows group after group
            np.full((2, n), -128),
            np.full((2, n), 127),
            edge_rows(rng, n),
        ]
    )
    got = ita.itamax(rows, variant)
    assert got.dtype == np.uint8
    assert got.tolist() == [ref_itamax_row(r, variant) for r in rows]


def test_itamax_known_vectors():
    # 16 equal values: sum 16*256 = 4096, inv = 65280 // 4096 = 15.
    assert ita.itamax(np.zeros(16, int)).tolist() == [15] * 16
    # 127 then 63 x -128: diff 255 -> shift (255+16)>>5 = 8, sum 256 + 63 = 319, inv = 204; 204 >> 8 = 0.
    assert ita.itamax([127] + [-128] * 63).tolist() == [204] + [0] * 63
    # Streaming differs from the row max: [16, 0 x15, 32, 0 x15].
    row = [16] + [0] * 15 + [32] + [0] * 15
    # streaming: group 0 sum 256 + 15*128 = 2176; group 1: shift_sum 1, sum 2176 >> 1 + 2176 = 3264,
    # inv = 65280 // 3264 = 20; out = 20 >> shift(32 - x): 20 for 32, 10 for 16 and for 0.
    assert ita.itamax(row, SV.ITA_PAPER).tolist() == [10] * 16 + [20] + [10] * 15
    # whole row: sum 256 + 31*128 = 4224, inv 15, others 15 >> 1 = 7.
    assert ita.itamax(row, SV.DEEPLOY_ITAMAX).tolist() == [7] * 16 + [15] + [7] * 15
    # numerator 127*256 = 32512: inv = 32512 // 3264 = 9.
    assert ita.itamax(row, SV.DEEPLOY_ITAPARTIALMAX).tolist() == [4] * 16 + [9] + [4] * 15
    # current RTL, shift = diff: [0, -1, ..., -15] sums 256 + 128 + ... + 1 + 0*7 = 511, inv 127.
    assert ita.itamax(-np.arange(16), SV.ITA_CURRENT).tolist() == [127, 63, 31, 15, 7, 3, 1] + [0] * 9
    # QuantLib's initial max -127 is above an all -128 row: every diff is 1 -> shift 0.
    assert ita.itamax([-128] * 16, SV.QUANTLIB_ITAPARTIALMAX).tolist() == [15] * 16
    # [-128 x16, -112 x16]: from -128, shift_sum = (16+16)>>5 = 1, sum 4096>>1 + 4096 = 6144, inv 10;
    # from -127, shift_sum = (15+16)>>5 = 0, sum 8192, inv 7. The -128s are 16 below the max: shift 1.
    row = [-128] * 16 + [-112] * 16
    assert ita.itamax(row, SV.ITA_PAPER).tolist() == [5] * 16 + [10] * 16
    assert ita.itamax(row, SV.QUANTLIB_ITAPARTIALMAX).tolist() == [3] * 16 + [7] * 16


def test_itamax_split_stages_and_errors():
    x = np.random.default_rng(3).integers(-128, 128, (4, 64, 64))
    gmax, inv = ita.itamax_denominator(x)
    assert gmax.shape == inv.shape == (4, 64) and inv.max() <= 255
    assert np.array_equal(ita.itamax_normalize(x, gmax, inv), ita.itamax(x))
    with pytest.raises(ValueError, match="multiple of 16"):
        ita.itamax(np.zeros(24, int))
    assert ita.itamax(np.zeros(24, int), SV.DEEPLOY_ITAMAX).shape == (24,)  # row max: any length
    with pytest.raises(ValueError, match="int8"):
        ita.itamax([200] * 16)


# ---------------------------------------------------------------- activation unit


def test_gelu_constants_known_vector():
    # ita.md 6: PyITA's test vectors use S = 0.03125 -> q_b = -80, q_c = q_1 = -7091, mult 74, shift 20.
    gc = GeluConstants.from_scale(0.03125)
    assert (gc.b, gc.c) == (-80, -7091)
    assert ita.gelu_requant_from_scale(0.03125) == Requant(74, 20, 0)
    assert gc.register() == ((-7091 & 0xFFFF) << 16) | (-80 & 0xFFFF)


@pytest.mark.parametrize("b, c", [(-80, -7091), (-40, -1743), (-1, 0), (-30000, 32767), (5, -5)])
def test_i_gelu_matches_formula(b, c):
    q = np.arange(-128, 128)
    assert ita.i_gelu(q, GeluConstants(b, c)).tolist() == [ref_i_gelu(int(v), b, c) for v in q]


@pytest.mark.parametrize("kind", list(Activation))
def test_activation_unit(kind):
    gc, rq = GeluConstants.from_scale(0.03125), Requant(74, 20, 3)
    q = np.arange(-128, 128)
    got = ita.activate(q, ActivationParams(kind, gc, rq)).tolist()
    if kind == Activation.IDENTITY:
        want = q.tolist()  # passes through, the activation requantization is not applied
    elif kind == Activation.RELU:
        want = [ref_requant(max(int(v), 0), rq) for v in q]
    else:
        want = [ref_requant(ref_i_gelu(int(v), gc.b, gc.c), rq) for v in q]
    assert got == want


# ---------------------------------------------------------------- job-level functions

DIMS = [(s, e, p) for s in (64, 128) for e in (64, 128) for p in (64, 128)]


@pytest.mark.parametrize("s, e, p", DIMS)
@pytest.mark.parametrize("variant", [SV.ITA_PAPER, SV.ITA_CURRENT])
def test_attention_against_reference(s, e, p, variant):
    rng = np.random.default_rng(s * 7 + e * 3 + p)
    xq, xkv = cauchy_int8(rng, (s, e)), cauchy_int8(rng, (s, e))
    w = {n: cauchy_int8(rng, (p, e)) for n in ("wq", "wk", "wv")} | {"wo": cauchy_int8(rng, (e, p))}
    bs = {"bq": bias(rng, p, p), "bk": bias(rng, p, p), "bv": bias(rng, p, p), "bo": bias(rng, e, e)}
    acc = lambda x, wt, b=0: np.asarray(x) @ np.asarray(wt).T + b  # only to pick scales
    rq = {n: fit_rq(rng, acc(x, w["w" + n], bs["b" + n])) for n, x in (("q", xq), ("k", xkv), ("v", xkv))}
    q = ref_step(xq, w["wq"], bs["bq"], rq["q"])
    k = ref_step(xkv, w["wk"], bs["bk"], rq["k"])
    v = ref_step(xkv, w["wv"], bs["bv"], rq["v"])  # computed plainly; ITA's is the transpose
    rq["qk"] = fit_rq(rng, acc(q, k))
    a = ref_step(q, k, None, rq["qk"])
    probs = np.array([ref_itamax_row(row, variant) for row in a])
    rq["av"] = fit_rq(rng, acc(probs, v.T))
    o = ref_step(probs, v.T, None, rq["av"])
    rq["ow"] = fit_rq(rng, acc(o, w["wo"], bs["bo"]))
    out = ref_step(o, w["wo"], bs["bo"], rq["ow"])
    rq = RequantSets(**rq)

    r = ita.attention(xq, xkv, ita.AttentionParams(**w, **bs, rq=rq), variant)
    for name, want in dict(q=q, k=k, vt=v.T, a=a, p=probs, o=o, out=out).items():
        assert np.array_equal(getattr(r, name), want), name
    assert r.a.dtype == r.out.dtype == np.int8 and r.p.dtype == np.uint8
    for t in (q, k, v, a, o, out):  # meaningful data: full range, little saturation
        assert len(np.unique(t)) > 100 and np.mean((t == 127) | (t == -128)) < 0.1

    single = ita.single_attention(q, k, v.T, rq, variant)
    assert np.array_equal(single.o, o) and single.out is None


@pytest.mark.parametrize("s, e, f", [(64, 64, 64), (128, 64, 128), (64, 128, 256)])
@pytest.mark.parametrize("kind", list(Activation))
def test_feedforward_and_linear_against_reference(s, e, f, kind):
    rng = np.random.default_rng(s + e + f + kind)
    x, w1, w2 = cauchy_int8(rng, (s, e)), cauchy_int8(rng, (f, e)), cauchy_int8(rng, (e, f))
    b1, b2 = bias(rng, f, f), bias(rng, e, e)
    act = ActivationParams(kind, GeluConstants.from_scale(0.03125), Requant(74, 20, -1))
    rq_f1 = fit_rq(rng, x @ w1.T + b1)
    h = ref_step(x, w1, b1, rq_f1)
    if kind == Activation.RELU:
        h = np.array([[ref_requant(max(int(v), 0), act.rq) for v in row] for row in h])
    elif kind == Activation.GELU:
        h = np.array([[ref_requant(ref_i_gelu(int(v), act.gelu.b, act.gelu.c), act.rq) for v in row] for row in h])
    rq = RequantSets(f1=rq_f1, f2=fit_rq(rng, h @ w2.T + b2))
    r = ita.feedforward(x, ita.FeedforwardParams(w1, b1, w2, b2, rq, act))
    assert np.array_equal(r.h, h)
    assert np.array_equal(r.out, ref_step(h, w2, b2, rq.f2))  # F2 runs Identity
    assert np.array_equal(ita.linear(x, ita.LinearParams(w1, b1, rq.f1, act)), h)
    assert np.array_equal(ita.linear(x, ita.LinearParams(w1, None, rq.f1)), ref_step(x, w1, None, rq.f1))


def test_shape_and_range_errors():
    z = lambda *sh: np.zeros(sh, dtype=int)
    with pytest.raises(ValueError, match="S = 96"):
        ita.linear(z(96, 64), ita.LinearParams(z(64, 64), None, Requant()))
    with pytest.raises(ValueError, match="E = 32"):
        ita.linear(z(64, 32), ita.LinearParams(z(64, 32), None, Requant()))
    with pytest.raises(ValueError, match="F = 576"):
        ita.linear(z(64, 64), ita.LinearParams(z(576, 64), None, Requant()))
    with pytest.raises(ValueError, match="P = 100"):
        ita.Shapes(S=64, E=64, P=100)
    with pytest.raises(ValueError, match="wo has shape"):
        ita.attention(z(64, 64), z(64, 64), ita.AttentionParams(z(64, 64), z(64, 64), z(64, 64), z(64, 128)))
    with pytest.raises(ValueError, match="bq has values"):
        params = ita.AttentionParams(z(64, 64), z(64, 64), z(64, 64), z(64, 64), bq=np.full(64, 1 << 23))
        ita.attention(z(64, 64), z(64, 64), params)
    with pytest.raises(ValueError, match="x has values"):
        ita.linear(z(64, 64) + 128, ita.LinearParams(z(64, 64), None, Requant()))


def test_layouts():
    m = np.arange(128 * 192).reshape(128, 192) % 251 - 125
    t = ita.to_tiles(m)
    assert t.shape == (2, 3, 64, 64) and np.array_equal(ita.from_tiles(t), m)
    img = t.astype(np.int8).tobytes()  # tile (1, 2) starts at ((1*3)+2)*4096, rows 64 B apart
    assert img[5 * 4096 + 64 * 7 + 3] == np.int8(m[64 + 7, 128 + 3]).tobytes()[0]
    packed = ita.pack_bias24([1, -1, 0x123456, -(1 << 23)])
    assert packed == bytes([1, 0, 0, 0xFF, 0xFF, 0xFF, 0x56, 0x34, 0x12, 0, 0, 0x80])
    assert ita.unpack_bias24(packed).tolist() == [1, -1, 0x123456, -(1 << 23)]
    with pytest.raises(ValueError, match="24-bit"):
        ita.pack_bias24([1 << 23])


# ---------------------------------------------------------------- the ICCT conformance network


def _icct_ops(checked):
    """Deeploy/QuantLib integer semantics (reference/deeploy_ops.md 1); where a node is something ITA
    computes, the golden model's result is compared with it and counted in `checked`."""

    def rqs(node, x, mul, add, a, made_by):
        div, n = int(a["div"].item()), int(a["n_levels_out"].item())
        lo, hi = (-(n // 2), n // 2 - 1) if a["signed"].item() else (0, n - 1)
        y = np.clip((x * mul + add + div // 2) // div, lo, hi)  # floor((x*mul + add)/div + 0.5)
        src = made_by.get(node.input[0])
        ita_fits = mul.size == 1 and 0 <= mul.item() <= 255 and not add.any() and div & (div - 1) == 0
        if src and ita_fits and a["signed"].item():
            (xa, wb), b = src
            rq = Requant(int(mul.item()), div.bit_length() - 1)
            got = ita.matmul_requant(xa.reshape(-1, xa.shape[-1]), wb.reshape(wb.shape[-2:]).T, b, rq)
            assert np.array_equal(got, y.reshape(got.shape)), node.output[0]
            checked["RequantShift as an ITA step"] += 1
        return y

    def itamax(node, x, a, made_by):
        # Deeploy ITAMax_s8: row max, shift (diff + 16) >> 5, inv = 255*256 // sum, out = inv >> shift.
        mx = x.max(axis=-1, keepdims=True)
        shift = (mx - x + 16) >> 5
        y = ((255 * 256) // (256 >> shift).sum(axis=-1, keepdims=True)) >> shift
        assert np.array_equal(ita.itamax(x, SV.DEEPLOY_ITAMAX), y)
        checked["ITAMax"] += 1
        checked["ITAMax equal to the paper-time ITA"] += int(np.array_equal(ita.itamax(x, SV.ITA_PAPER), y))
        return y

    def igelu(node, x, a, made_by):
        b, one = a["b"], a["one"]
        q = np.minimum(np.abs(x), -b)
        ell = np.sign(x) * (one - (q + b) ** 2)
        # ITA's i-GELU with q_b = b and q_c = q_1 = -one is -x*(one + L): twice QuantLib's before its floor.
        assert np.array_equal(ita.i_gelu(x, GeluConstants(b, -one)), -x * (one + ell))
        checked["iGELU relation"] += 1
        return x * ((one + ell) // 2)

    def layernorm(node, x, w, b, a, made_by):
        n, d = x.shape[-1], int(a["D"].item())
        nom = x - np.trunc(x.sum(-1, keepdims=True) / n).astype(np.int64)
        var = (nom * nom).sum(-1, keepdims=True) // n
        std = np.vectorize(math.isqrt)(var + 1)
        p = nom * w
        y = np.sign(p) * (np.abs(p) // std) + b  # trunc(nom*w/std) + b
        return np.clip(y // d, -128, 127)

    def conv(node, x, w, a, made_by):
        (pt, pl, pb, pr), (sh, sw) = a["pads"], a["strides"]
        x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
        kh, kw = w.shape[2:]
        oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        cols = np.stack([x[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] for i in range(kh) for j in range(kw)], -1)
        return np.einsum("bchwk,ock->bohw", cols, w.reshape(*w.shape[:2], -1))

    def maxpool(node, x, a, made_by):
        (kh, kw), (sh, sw) = a["kernel_shape"], a["strides"]
        oh, ow = (x.shape[2] - kh) // sh + 1, (x.shape[3] - kw) // sw + 1
        return np.max([x[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] for i in range(kh) for j in range(kw)], 0)

    def mean(node, x, a, made_by):
        n = math.prod(x.shape[i] for i in a["axes"])
        return (2 * x.sum(axis=tuple(a["axes"]), keepdims=bool(a["keepdims"])) + n) // (2 * n)  # floor(mean + .5)

    def gemm(node, x, w, b, a, made_by):
        return x @ (w.T if a.get("transB") else w) + b

    return {
        "RequantShift": rqs, "ITAMax": itamax, "iGELU": igelu, "iLayerNorm": layernorm, "Conv": conv,
        "MaxPool": maxpool, "IntegerMean": mean, "Gemm": gemm,
        "MatMul": lambda node, x, y, a, m: x @ y,
        "Add": lambda node, x, y, a, m: x + y,
        "Transpose": lambda node, x, a, m: np.transpose(x, a["perm"]),
        "Reshape": lambda node, x, s, a, m: x.reshape([x.shape[i] if v == 0 else v for i, v in enumerate(s)]),
        "Gather": lambda node, x, i, a, m: np.take(x, i, axis=a["axis"]),
    }  # fmt: skip


def test_icct_conformance():
    """Run Deeploy's ICCT network (S=64, E=128, P=192, one head, FFN 512) with integer semantics; the
    final output must match outputs.npz byte for byte, which validates the intermediates at which the
    golden model is checked: every RequantShift that is an ITA step (MatMul [+ bias] + requant with
    eps <= 255, power-of-two divisor, no add: Q, K, V, AV, OW, F1, F2), ITAMax, and i-GELU's form."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper

    if not ICCT.is_dir():
        pytest.skip(f"conformance data not found at {ICCT}")
    graph = onnx.load(ICCT / "network.onnx").graph
    env = {t.name: np.rint(numpy_helper.to_array(t)).astype(np.int64) for t in graph.initializer}
    inputs = np.load(ICCT / "inputs.npz")
    env[graph.input[0].name] = inputs[inputs.files[0]].astype(np.int64)
    checked, made_by, constants = Counter(), {}, {t.name for t in graph.initializer}
    ops = _icct_ops(checked)
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        attrs = {k: numpy_helper.to_array(v) if hasattr(v, "dims") else v for k, v in attrs.items()}
        args = [env[name] for name in node.input]
        env[node.output[0]] = ops[node.op_type](node, *args, attrs, made_by)
        if node.op_type == "MatMul":
            made_by[node.output[0]] = ((args[0], args[1]), None)
        elif node.op_type == "Add" and node.input[1] in made_by and node.input[0] in constants:
            made_by[node.output[0]] = (made_by[node.input[1]][0], args[0])  # MatMul + bias
    outputs = np.load(ICCT / "outputs.npz")
    assert np.array_equal(env[graph.output[0].name], outputs[outputs.files[0]].astype(np.int64))
    assert checked["RequantShift as an ITA step"] == 7 and checked["ITAMax"] == 1 and checked["iGELU relation"] == 1
