"""iss.softfloat: bit-exact RISC-V F/D arithmetic, checked against independent references.

References: numpy (the host's IEEE binary32/binary64 arithmetic, round-to-nearest-even),
an exact `fractions.Fraction` computation rounded by a small rounding routine written here
independently of the library (all five modes, with flags), known answers from the RISC-V
spec, and Unicorn (QEMU softfloat, the fast engine's FPU) executing single instructions.
"""

import random
import struct
from fractions import Fraction
from math import floor

import numpy as np
import pytest

from iss import softfloat as sf
from iss.softfloat import DZ, F32, F64, NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF

MODES = (RNE, RTZ, RDN, RUP, RMM)
NP = {F32: (np.float32, np.uint32), F64: (np.float64, np.uint64)}
CNAN = {F32: 0x7FC0_0000, F64: 0x7FF8_0000_0000_0000}
SNAN = {F32: 0x7F80_0001, F64: 0x7FF0_0000_0000_0001}
QNAN_PAYLOAD = {F32: 0xFFC0_1234, F64: 0xFFF8_0000_0000_1234}


def bits(fmt, x):
    return struct.unpack("<I", struct.pack("<f", x))[0] if fmt is F32 else struct.unpack("<Q", struct.pack("<d", x))[0]


def value(fmt, b):
    return struct.unpack("<f", struct.pack("<I", b))[0] if fmt is F32 else struct.unpack("<d", struct.pack("<Q", b))[0]


def is_nan(fmt, b):
    return (b & fmt.mag_mask) > fmt.inf


def finite(fmt, b):
    return (b & fmt.mag_mask) < fmt.inf


def exact(fmt, b):
    """The exact value of a finite bit pattern."""
    fb = fmt.frac_bits
    e, f = (b >> fb) & ((1 << fmt.exp_bits) - 1), b & ((1 << fb) - 1)
    if e == 0:
        v = Fraction(f, 1 << fb) * Fraction(2) ** (1 - fmt.bias)
    else:
        v = (1 + Fraction(f, 1 << fb)) * Fraction(2) ** (e - fmt.bias)
    return -v if b >> (fmt.bits - 1) else v


def ref_round(fmt, q, rm):
    """Independent reference: round a nonzero Fraction to fmt -> (bits, flags); tininess after rounding."""
    fb, emin, emax = fmt.frac_bits, 1 - fmt.bias, fmt.bias
    neg, q = q < 0, abs(q)
    e = q.numerator.bit_length() - q.denominator.bit_length()
    while Fraction(2) ** e > q:
        e -= 1
    while Fraction(2) ** (e + 1) <= q:
        e += 1

    def rnd(quantum_exp):
        s = q / Fraction(2) ** quantum_exp
        n = floor(s)
        rest = s - n
        up = {
            RNE: rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2 == 1),
            RTZ: False, RDN: neg, RUP: not neg, RMM: rest >= Fraction(1, 2),
        }[rm]
        return n + (1 if rest and up else 0), rest != 0

    n_unbounded, _ = rnd(e - fb)
    tiny = n_unbounded * Fraction(2) ** (e - fb) < Fraction(2) ** emin
    quantum = max(e, emin) - fb
    n, inexact = rnd(quantum)
    v = n * Fraction(2) ** quantum
    sign = fmt.sign_bit if neg else 0
    if v >= Fraction(2) ** (emax + 1):
        to_inf = rm in (RNE, RMM) or (rm == RUP and not neg) or (rm == RDN and neg)
        return sign | (fmt.inf if to_inf else fmt.inf - 1), OF | NX
    flags = (NX if inexact else 0) | (UF if inexact and tiny else 0)
    if v < Fraction(2) ** emin:
        return sign | n, flags  # subnormal (or zero): quantum is 2^(emin - fb)
    ev = v.numerator.bit_length() - v.denominator.bit_length()
    while Fraction(2) ** ev > v:
        ev -= 1
    frac = (v / Fraction(2) ** ev - 1) * (1 << fb)
    assert frac.denominator == 1
    return sign | ((ev + fmt.bias) << fb) | int(frac), flags


def edge_values(fmt):
    fb, inf = fmt.frac_bits, fmt.inf
    one = fmt.bias << fb
    mags = [0, 1, 2, 3, fmt.frac_mask >> 1, fmt.frac_mask, 1 << fb, (1 << fb) + 1, inf - 1, inf - 2, inf - (1 << fb),
            one, one + 1, one - 1, one + (1 << (fb - 1)), one + (1 << fb),
            (fmt.bias - 1) << fb, ((fmt.bias + 1) << fb) | 1,
            ((fmt.bias + fb) << fb) | 1, ((fmt.bias - fb - 1) << fb) | 3, inf, inf | 1, CNAN[fmt], inf | 0x1234]
    return mags + [m | fmt.sign_bit for m in mags]


def random_values(fmt, rng, n):
    """A mix: edge values, extreme exponents, short significands (exact results and ties), raw bits."""
    fb, edges = fmt.frac_bits, edge_values(fmt)
    out = []
    for _ in range(n):
        k = rng.random()
        sign = rng.getrandbits(1) << (fmt.bits - 1)
        if k < 0.15:
            out.append(rng.choice(edges))
        elif k < 0.4:
            top = (1 << fmt.exp_bits) - 2
            e = rng.choice([0, 1, 2, fb, fb + 2, fmt.bias - 1, fmt.bias + 1, top, top - 1])
            out.append(sign | (e << fb) | rng.getrandbits(fb))
        elif k < 0.7:
            e = fmt.bias + rng.randint(-4, 4)
            out.append(sign | (e << fb) | (rng.getrandbits(6) << (fb - 6)))
        else:
            out.append(rng.getrandbits(fmt.bits))
    return out


def np_op(fmt, name, *args):
    """numpy's RNE result bits for arrays of operand bits."""
    ftype, utype = NP[fmt]
    xs = [np.array(a, dtype=utype).view(ftype) for a in args]
    with np.errstate(all="ignore"):
        r = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "sqrt": np.sqrt}[name](*xs)
    return r.view(utype).tolist()


def expect_nan_canonical_else(fmt, got, want):
    """numpy propagates NaN payloads; RISC-V returns the canonical NaN."""
    return got == (CNAN[fmt] if is_nan(fmt, want) else want)


# --- (1) against numpy (RNE) and the Fraction reference (all modes, with flags) --------------


@pytest.mark.parametrize("fmt", [F32, F64])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "sqrt"])
def test_rne_matches_numpy(fmt, name):
    rng = random.Random(hash((fmt.bits, name)) & 0xFFFF)
    n = 3000
    a = random_values(fmt, rng, n)
    b = random_values(fmt, rng, n)
    # Operand pairs with cancellation, equal magnitudes and near-ties.
    for i in range(0, n, 5):
        b[i] = (a[i] ^ fmt.sign_bit ^ rng.choice([0, 0, 1])) + rng.choice([0, 1]) & ((1 << fmt.bits) - 1)
    args = (a,) if name == "sqrt" else (a, b)
    want = np_op(fmt, name, *args)
    fn = getattr(sf, name)
    for i in range(n):
        ops = (args[0][i],) if name == "sqrt" else (a[i], b[i])
        got, _ = fn(fmt, *ops, RNE)
        assert expect_nan_canonical_else(fmt, got, want[i]), (name, fmt, [hex(x) for x in ops], hex(got), hex(want[i]))


@pytest.mark.parametrize("src,dst", [(F64, F32), (F32, F64)])
def test_convert_rne_matches_numpy(src, dst):
    rng = random.Random(7)
    a = random_values(src, rng, 4000)
    # f64 values just around binary32 ties, subnormals and overflow.
    if src is F64:
        for i in range(0, len(a), 4):
            a[i] = rng.choice([bits(F64, value(F32, rng.getrandbits(32))) + rng.randint(-2, 2) & (1 << 64) - 1,
                               rng.getrandbits(1) << 63 | rng.choice([0x36A, 0x380, 0x47E, 0x47F, 0x381]) << 52
                               | rng.getrandbits(23) << 29 | rng.choice([1 << 28, 0, (1 << 28) - 1, (1 << 28) + 1])])
    with np.errstate(all="ignore"):
        want = np.array(a, dtype=NP[src][1]).view(NP[src][0]).astype(NP[dst][0]).view(NP[dst][1]).tolist()
    for x, w in zip(a, want):
        got, _ = sf.convert(src, dst, x, RNE)
        assert expect_nan_canonical_else(dst, got, w), (hex(x), hex(got), hex(w))


def _reference(fmt, name, ops, rm):
    """Fraction reference for finite operands with a nonzero exact result; else None."""
    if not all(finite(fmt, x) for x in ops):
        return None
    v = [exact(fmt, x) for x in ops]
    if name == "add":
        q = v[0] + v[1]
    elif name == "sub":
        q = v[0] - v[1]
    elif name == "mul":
        q = v[0] * v[1]
    elif name == "div":
        if v[1] == 0:
            return None
        q = v[0] / v[1]
    else:  # fma variants: (+-a*b) + (+-c)
        np_, na = name[1], name[2]
        q = (-1) ** np_ * v[0] * v[1] + (-1) ** na * v[2]
    return None if q == 0 else ref_round(fmt, q, rm)


@pytest.mark.parametrize("fmt", [F32, F64])
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "fma"])
def test_all_modes_match_exact_reference(fmt, name):
    rng = random.Random(hash((fmt.bits, name, 1)) & 0xFFFF)
    checked = 0
    for _ in range(500 if name == "fma" else 400):
        a, b, c = random_values(fmt, rng, 3)
        if name == "fma" and rng.random() < 0.5:  # addend near -a*b: cancellation, ties, tiny results
            p, _ = sf.mul(fmt, a, b, rng.choice(MODES))
            c = (p ^ fmt.sign_bit) + rng.randint(-1, 1) & ((1 << fmt.bits) - 1)
        for rm in MODES:
            if name == "fma":
                np_, na = rng.getrandbits(1), rng.getrandbits(1)
                want = _reference(fmt, ("fma", np_, na), (a, b, c), rm)
                got = sf.fma(fmt, a, b, c, rm, bool(np_), bool(na))
            else:
                want = _reference(fmt, name, (a, b), rm)
                got = getattr(sf, name)(fmt, a, b, rm)
            if want is not None:
                checked += 1
                assert got == want, (name, fmt, rm, [hex(x) for x in (a, b, c, *got, *want)])
    assert checked > 1000


@pytest.mark.parametrize("fmt", [F32, F64])
def test_sqrt_all_modes_bracket_the_root(fmt):
    """r = sqrt(x) rounded down satisfies r^2 <= x < succ(r)^2; rounded up pred(r)^2 < x <= r^2."""
    rng = random.Random(3)
    for x in random_values(fmt, rng, 600):
        x &= fmt.mag_mask
        if not finite(fmt, x) or x == 0:
            continue
        v = exact(fmt, x)
        down, fd = sf.sqrt(fmt, x, RDN)
        assert sf.sqrt(fmt, x, RTZ) == (down, fd)
        assert exact(fmt, down) ** 2 <= v < exact(fmt, down + 1) ** 2
        up, fu = sf.sqrt(fmt, x, RUP)
        assert up == down + (1 if fd else 0) and fu == fd == (NX if exact(fmt, down) ** 2 != v else 0)
        assert sf.sqrt(fmt, x, RMM) == sf.sqrt(fmt, x, RNE)  # a root is never a tie


@pytest.mark.parametrize("fmt", [F32, F64])
def test_from_int_and_to_int_match_reference(fmt):
    rng = random.Random(5)
    for _ in range(400):
        v = rng.choice([rng.getrandbits(32), rng.getrandbits(rng.randint(1, 32)), -rng.getrandbits(rng.randint(1, 31))])
        v &= 0xFFFF_FFFF
        for signed in (True, False):
            iv = v - (1 << 32) if signed and v >> 31 else v
            for rm in MODES:
                want = ref_round(fmt, Fraction(iv), rm) if iv else (0, 0)
                assert sf.from_int(fmt, v, signed, rm) == want, (hex(v), signed, rm)
    for x in random_values(fmt, rng, 600):
        if not finite(fmt, x):
            continue
        q = exact(fmt, x)
        for rm in MODES:
            n = floor(q)
            rest = q - n
            up = {RNE: rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2), RTZ: q < 0, RDN: False,
                  RUP: True, RMM: rest > Fraction(1, 2) or (rest == Fraction(1, 2) and q > 0)}[rm]
            r = n + 1 if rest and up else n
            for signed, lo, hi in ((True, -(1 << 31), (1 << 31) - 1), (False, 0, (1 << 32) - 1)):
                if r < lo or r > hi:
                    want = ((lo if r < lo else hi) & 0xFFFF_FFFF, NV)
                else:
                    want = (r & 0xFFFF_FFFF, NX if rest else 0)
                assert sf.to_int(fmt, x, rm, signed) == want, (hex(x), rm, signed)


# --- (2) directed rounding modes: known answers ------------------------------------------------


def test_directed_rounding_known_answers():
    one, tiny = bits(F64, 1.0), bits(F64, 2.0**-60)
    next_one = bits(F64, 1.0 + 2.0**-52)
    assert sf.add(F64, one, tiny, RUP) == (next_one, NX)
    assert sf.add(F64, one, tiny, RDN) == (one, NX)
    assert sf.add(F64, one, tiny, RTZ) == (one, NX)
    assert sf.add(F64, one, tiny, RNE) == (one, NX)
    assert sf.sub(F64, one, tiny, RDN) == (bits(F64, 1.0 - 2.0**-53), NX)
    neg = bits(F64, -1.0)  # -1 - 2^-60: toward zero is -1, down is -(1 + 2^-52)
    assert sf.sub(F64, neg, tiny, RTZ) == (bits(F64, -1.0), NX)
    assert sf.sub(F64, neg, tiny, RDN) == (bits(F64, -1.0 - 2.0**-52), NX)
    assert sf.sub(F64, neg, tiny, RUP) == (bits(F64, -1.0), NX)
    # Ties: 1 + 2^-24 in binary32 is halfway between 1 and 1 + 2^-23.
    a, half = bits(F32, 1.0), bits(F32, 2.0**-24)
    assert sf.add(F32, a, half, RNE) == (a, NX)  # to even
    assert sf.add(F32, a, half, RMM) == (a + 1, NX)  # away from zero
    assert sf.add(F32, a | F32.sign_bit, half | F32.sign_bit, RMM) == ((a + 1) | F32.sign_bit, NX)
    odd = a + 1  # (1 + 2^-23) + 2^-24: tie, RNE goes up to even
    assert sf.add(F32, odd, half, RNE) == (odd + 1, NX)
    assert sf.add(F32, odd, half, RMM) == (odd + 1, NX)
    assert sf.add(F32, odd, half, RTZ) == (odd, NX)
    # 1/3 in every mode.
    three = bits(F64, 3.0)
    lo = bits(F64, 1 / 3)  # RNE rounds 1/3 down
    assert [sf.div(F64, one, three, rm)[0] for rm in MODES] == [lo, lo, lo, lo + 1, lo]
    assert [sf.div(F64, one | F64.sign_bit, three, rm)[0] for rm in MODES] == [
        lo | F64.sign_bit, lo | F64.sign_bit, (lo + 1) | F64.sign_bit, lo | F64.sign_bit, lo | F64.sign_bit]
    # Exact zero sums: +0 except when rounding down.
    assert sf.sub(F64, one, one, RNE) == (0, 0)
    assert sf.sub(F64, one, one, RDN) == (F64.sign_bit, 0)
    assert sf.add(F64, F64.sign_bit, F64.sign_bit, RNE) == (F64.sign_bit, 0)
    assert sf.add(F64, F64.sign_bit, 0, RNE) == (0, 0)
    assert sf.add(F64, F64.sign_bit, 0, RDN) == (F64.sign_bit, 0)
    # Integer conversion ties.
    for x, want in ((2.5, [2, 2, 2, 3, 3]), (-2.5, [-2, -2, -3, -2, -3]), (0.5, [0, 0, 0, 1, 1])):
        assert [sf.to_int(F64, bits(F64, x), rm, True)[0] for rm in MODES] == [w & 0xFFFF_FFFF for w in want]
    # int -> f32 rounding: 2^24 + 1 is a tie, 2^24 + 3 rounds to even upward.
    assert [sf.from_int(F32, (1 << 24) + 1, False, rm)[0] for rm in MODES] == [
        bits(F32, 2.0**24), bits(F32, 2.0**24), bits(F32, 2.0**24), bits(F32, 2.0**24 + 2), bits(F32, 2.0**24 + 2)]
    assert sf.from_int(F32, 0xFFFF_FFFF, True, RNE) == (bits(F32, -1.0), 0)
    assert sf.from_int(F32, 0xFFFF_FFFF, False, RTZ) == (bits(F32, 4294967040.0), NX)


def test_fma_single_rounding_and_variants():
    f = lambda x: bits(F32, x)  # noqa: E731
    # a*b + c where rounding the product first would give a different answer (double rounding).
    a, b, c = f(1 + 2.0**-15), f(2.0**-24 * (1 - 2.0**-15)), f(1 + 2.0**-23)
    assert sf.fma(F32, a, b, c, RNE) == (f(1 + 2.0**-23), NX)
    x = f(1 + 2.0**-12)
    p_lo = f(1 + 2.0**-11)  # (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24
    assert sf.fma(F32, x, x, p_lo | F32.sign_bit, RNE) == (f(2.0**-24), 0)  # exact residual
    two, three, five = f(2.0), f(3.0), f(5.0)
    assert sf.fma(F32, two, three, five, RNE) == (f(11.0), 0)  # fmadd
    assert sf.fma(F32, two, three, five, RNE, negate_addend=True) == (f(1.0), 0)  # fmsub
    assert sf.fma(F32, two, three, five, RNE, negate_product=True) == (f(-1.0), 0)  # fnmsub
    assert sf.fma(F32, two, three, five, RNE, True, True) == (f(-11.0), 0)  # fnmadd
    # Zero signs: (+0 * 1) + (-0) = +0; under RDN -0; -(0*1) - 0 = -0.
    one = f(1.0)
    assert sf.fma(F32, 0, one, F32.sign_bit, RNE) == (0, 0)
    assert sf.fma(F32, 0, one, F32.sign_bit, RDN) == (F32.sign_bit, 0)
    assert sf.fma(F32, 0, one, 0, RNE, True, True) == (F32.sign_bit, 0)
    d = lambda x: bits(F64, x)  # noqa: E731
    assert sf.fma(F64, d(0.1), d(10.0), d(-1.0), RNE) == (d(2.0**-54), 0)  # 0.1*10 - 1 exactly


# --- (3) exception flags ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [F32, F64])
def test_flags_known_cases(fmt):
    one, zero, inf = bits(fmt, 1.0), 0, fmt.inf
    mx, minn, sub1 = fmt.max_finite, fmt.hidden, 1
    qnan, snan = CNAN[fmt], SNAN[fmt]
    assert sf.div(fmt, one, zero, RNE) == (inf, DZ)
    assert sf.div(fmt, one | fmt.sign_bit, zero, RNE) == (inf | fmt.sign_bit, DZ)
    assert sf.div(fmt, zero, zero, RNE) == (qnan, NV)
    assert sf.div(fmt, inf, inf, RNE) == (qnan, NV)
    assert sf.div(fmt, one, inf, RNE) == (0, 0)
    assert sf.sub(fmt, inf, inf, RNE) == (qnan, NV)
    assert sf.add(fmt, inf, inf | fmt.sign_bit, RTZ) == (qnan, NV)
    assert sf.mul(fmt, inf, zero, RNE) == (qnan, NV)
    assert sf.sqrt(fmt, one | fmt.sign_bit, RNE) == (qnan, NV)
    assert sf.sqrt(fmt, fmt.sign_bit, RNE) == (fmt.sign_bit, 0)  # sqrt(-0) = -0
    assert sf.sqrt(fmt, inf, RNE) == (inf, 0)
    # Overflow: OF|NX, inf or max-finite by mode.
    for rm, pos, negr in ((RNE, inf, inf), (RTZ, mx, mx), (RDN, mx, inf), (RUP, inf, mx), (RMM, inf, inf)):
        assert sf.mul(fmt, mx, bits(fmt, 2.0), rm) == (pos, OF | NX)
        assert sf.mul(fmt, mx, bits(fmt, -2.0), rm) == (negr | fmt.sign_bit, OF | NX)
        assert sf.add(fmt, mx, mx, rm) == (pos, OF | NX)
    assert sf.add(fmt, mx, one, RNE) == (mx, NX)  # inexact but no overflow
    # Underflow: inexact tiny result -> UF|NX; exact subnormal result -> no flags.
    assert sf.mul(fmt, minn, bits(fmt, 0.5), RNE) == (minn >> 1, 0)
    assert sf.mul(fmt, sub1 | (fmt.hidden * 1), bits(fmt, 0.5), RNE)[1] == UF | NX  # (2^emin + lsb)/2
    assert sf.div(fmt, sub1, bits(fmt, 2.0), RNE) == (0, UF | NX)  # half the smallest subnormal: tie to 0
    assert sf.div(fmt, sub1, bits(fmt, 2.0), RUP) == (1, UF | NX)
    assert sf.sub(fmt, minn + 1, minn, RNE) == (1, 0)  # subnormal difference is exact
    assert sf.mul(fmt, sub1, sub1, RTZ) == (0, UF | NX)
    # Tininess after rounding: just below 2^emin, rounding (unbounded exponent) reaches 2^emin -> no UF.
    # (2^emin - 2^qmin)(1 + 2^(1-p)) = 2^emin(1 - 2^(2-2p)): full precision rounds it to 2^emin.
    assert sf.mul(fmt, minn - 1, bits(fmt, 1.0) + 1, RNE) == (minn, NX)
    p = fmt.precision
    # 2^emin(1 - 2^-p) is exact at full precision (so tiny) but a tie at subnormal precision.
    assert sf.fma(fmt, bits(fmt, -(2.0 ** -p)), minn, minn, RNE) == (minn, UF | NX)
    assert sf.fma(fmt, bits(fmt, -(2.0 ** -p)), minn, minn, RTZ) == (minn - 1, UF | NX)
    # 2^emin(1 - 2^-(p+1)) is a tie at full precision that rounds (to even) up to 2^emin: not tiny.
    assert sf.fma(fmt, bits(fmt, -(2.0 ** (-p - 1))), minn, minn, RNE) == (minn, NX)
    assert sf.fma(fmt, bits(fmt, -(2.0 ** (-p - 1))), minn, minn, RMM) == (minn, NX)
    assert sf.fma(fmt, bits(fmt, -(2.0 ** (-p - 1))), minn, minn, RUP) == (minn, NX)
    assert sf.fma(fmt, bits(fmt, -(2.0 ** (-p - 1))), minn, minn, RDN) == (minn - 1, UF | NX)
    # Quiet NaN operands: no flags; signalling: NV.
    assert sf.add(fmt, qnan, one, RNE) == (qnan, 0)
    assert sf.add(fmt, snan, one, RNE) == (qnan, NV)
    assert sf.mul(fmt, one, snan, RNE) == (qnan, NV)
    assert sf.fma(fmt, one, one, snan, RNE) == (qnan, NV)
    assert sf.fma(fmt, inf, zero, qnan, RNE) == (qnan, NV)  # RISC-V: inf*0 + qNaN raises NV
    assert sf.fma(fmt, one, one, qnan, RNE) == (qnan, 0)
    assert sf.fma(fmt, inf, one, inf | fmt.sign_bit, RNE) == (qnan, NV)
    assert sf.fma(fmt, inf, one, inf, RNE, negate_addend=True) == (qnan, NV)


@pytest.mark.parametrize("fmt", [F32, F64])
def test_comparisons(fmt):
    one, two, qnan, snan = bits(fmt, 1.0), bits(fmt, 2.0), CNAN[fmt], SNAN[fmt]
    nz = fmt.sign_bit
    assert sf.eq(fmt, one, one) == (1, 0)
    assert sf.eq(fmt, 0, nz) == (1, 0)
    assert sf.lt(fmt, nz, 0) == (0, 0) and sf.le(fmt, nz, 0) == (1, 0)
    assert sf.lt(fmt, one, two) == (1, 0) and sf.lt(fmt, two, one) == (0, 0)
    assert sf.lt(fmt, two | nz, one | nz) == (1, 0) and sf.le(fmt, fmt.inf | nz, two | nz) == (1, 0)
    assert sf.eq(fmt, qnan, one) == (0, 0)  # feq is quiet
    assert sf.eq(fmt, qnan, qnan) == (0, 0)
    assert sf.eq(fmt, snan, one) == (0, NV)
    assert sf.lt(fmt, qnan, one) == (0, NV)  # flt/fle signal on any NaN
    assert sf.le(fmt, one, qnan) == (0, NV)
    assert sf.lt(fmt, snan, one) == (0, NV)


@pytest.mark.parametrize("fmt", [F32, F64])
def test_classify(fmt):
    sign = fmt.sign_bit
    cases = [(fmt.inf | sign, 0), (bits(fmt, -1.0), 1), (sign | 1, 2), (sign, 3), (0, 4), (1, 5),
             (bits(fmt, 1.0), 6), (fmt.inf, 7), (SNAN[fmt], 8), (CNAN[fmt], 9), (QNAN_PAYLOAD[fmt], 9)]
    for x, bit in cases:
        assert sf.classify(fmt, x) == 1 << bit, hex(x)


# --- (4) fcvt saturation table ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", [F32, F64])
def test_fcvt_saturation(fmt):
    b = lambda x: bits(fmt, x)  # noqa: E731
    W, WU = True, False
    table = [  # (input, signed, result, flags)
        (CNAN[fmt], W, 0x7FFF_FFFF, NV), (CNAN[fmt], WU, 0xFFFF_FFFF, NV),
        (QNAN_PAYLOAD[fmt], W, 0x7FFF_FFFF, NV), (SNAN[fmt], WU, 0xFFFF_FFFF, NV),
        (fmt.inf, W, 0x7FFF_FFFF, NV), (fmt.inf | fmt.sign_bit, W, 0x8000_0000, NV),
        (fmt.inf, WU, 0xFFFF_FFFF, NV), (fmt.inf | fmt.sign_bit, WU, 0, NV),
        (b(3e9), W, 0x7FFF_FFFF, NV), (b(-3e9), W, 0x8000_0000, NV), (b(5e9), WU, 0xFFFF_FFFF, NV),
        (b(-1.0), WU, 0, NV), (b(-2.0**31), W, 0x8000_0000, 0), (b(2.0**31), W, 0x7FFF_FFFF, NV),
        (b(2.0**31), WU, 0x8000_0000, 0), (b(-0.0), WU, 0, 0), (b(-0.25), WU, 0, NX), (b(1.5), W, 2, NX),
        (fmt.max_finite, W, 0x7FFF_FFFF, NV), (1, W, 0, NX), (b(-7.0), W, 0xFFFF_FFF9, 0),
    ]
    if fmt is F64:
        table += [(b(2.0**31 - 0.5), W, 0x7FFF_FFFF, NV), (b(2.0**31 - 0.75), W, 0x7FFF_FFFF, NX),
                  (b(-(2.0**31) - 0.5), W, 0x8000_0000, NX), (b(-(2.0**31) - 1), W, 0x8000_0000, NV),
                  (b(2.0**32 - 0.5), WU, 0xFFFF_FFFF, NV), (b(4294967295.0), WU, 0xFFFF_FFFF, 0)]
    for x, signed, result, flags in table:
        assert sf.to_int(fmt, x, RNE, signed) == (result, flags), (hex(x), signed)
    assert sf.to_int(fmt, b(-0.5), RUP, False) == (0, NX)  # rounds to -0: in range
    assert sf.to_int(fmt, b(-0.5), RDN, False) == (0, NV)  # rounds to -1: out of range


# --- (5) fmin / fmax --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [F32, F64])
def test_fmin_fmax(fmt):
    one, two, qnan, snan, nz = bits(fmt, 1.0), bits(fmt, 2.0), CNAN[fmt], SNAN[fmt], fmt.sign_bit
    assert sf.min_(fmt, one, two) == (one, 0) and sf.max_(fmt, one, two) == (two, 0)
    assert sf.min_(fmt, two | nz, one) == (two | nz, 0) and sf.max_(fmt, two | nz, one | nz) == (one | nz, 0)
    assert sf.min_(fmt, 0, nz) == (nz, 0) and sf.min_(fmt, nz, 0) == (nz, 0)  # -0 < +0
    assert sf.max_(fmt, 0, nz) == (0, 0) and sf.max_(fmt, nz, 0) == (0, 0)
    assert sf.min_(fmt, qnan, one) == (one, 0) and sf.max_(fmt, two, qnan) == (two, 0)  # the number wins
    assert sf.min_(fmt, snan, one) == (one, NV) and sf.max_(fmt, two, snan) == (two, NV)
    assert sf.min_(fmt, qnan, QNAN_PAYLOAD[fmt]) == (qnan, 0)  # both NaN: canonical
    assert sf.max_(fmt, snan, qnan) == (qnan, NV)
    assert sf.min_(fmt, fmt.inf | nz, fmt.max_finite | nz) == (fmt.inf | nz, 0)


# --- (6) canonical NaN results ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", [F32, F64])
def test_canonical_nan_results(fmt):
    payload, snan, one = QNAN_PAYLOAD[fmt], SNAN[fmt] | fmt.sign_bit | 0x55, bits(fmt, 1.0)
    cnan = CNAN[fmt]
    for rm in MODES:
        assert sf.add(fmt, payload, one, rm) == (cnan, 0)
        assert sf.sub(fmt, one, payload, rm) == (cnan, 0)
        assert sf.mul(fmt, payload, snan, rm) == (cnan, NV)
        assert sf.div(fmt, payload, one, rm) == (cnan, 0)
        assert sf.sqrt(fmt, payload, rm) == (cnan, 0)
        assert sf.fma(fmt, one, one, payload, rm) == (cnan, 0)
    other = F64 if fmt is F32 else F32
    assert sf.convert(fmt, other, payload, RNE) == (CNAN[other], 0)
    assert sf.convert(fmt, other, snan, RNE) == (CNAN[other], NV)
    assert sf.convert(fmt, other, fmt.inf | fmt.sign_bit, RNE) == (other.inf | other.sign_bit, 0)


def test_format_objects():
    assert (F32.bits, F32.exp_bits, F32.frac_bits, F32.bias, F32.canonical_nan) == (32, 8, 23, 127, 0x7FC0_0000)
    assert (F64.bits, F64.exp_bits, F64.frac_bits, F64.bias, F64.canonical_nan) == (64, 11, 52, 1023, CNAN[F64])
    assert (sf.NX, sf.UF, sf.OF, sf.DZ, sf.NV) == (1, 2, 4, 8, 16)
    assert (sf.RNE, sf.RTZ, sf.RDN, sf.RUP, sf.RMM) == (0, 1, 2, 3, 4)


# --- cross-check with QEMU softfloat (the fast engine's FPU), single instructions in Unicorn ----


class _Qemu:
    """Runs one OP-FP/FMA instruction with f1..f3 / a1 as operands, result in f10 / a0."""

    def __init__(self, unicorn, rc):
        self.rc = rc
        self.uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV32)
        self.uc.mem_map(0x1000, 0x1000, unicorn.UC_PROT_ALL)
        self.uc.reg_write(rc.UC_RISCV_REG_MSTATUS, self.uc.reg_read(rc.UC_RISCV_REG_MSTATUS) | (3 << 13))  # FS on

    def run(self, fmt, insn, fregs=(), xreg=0, out=None):
        """fmt: operand format (binary32 is NaN-boxed in the 64-bit registers); out: result format."""
        uc, rc = self.uc, self.rc
        box = 0xFFFF_FFFF_0000_0000 if fmt is F32 else 0
        uc.mem_write(0x1000, insn.to_bytes(4, "little"))
        for i, v in enumerate(fregs):
            uc.reg_write(rc.UC_RISCV_REG_F1 + i, v | box)
        uc.reg_write(rc.UC_RISCV_REG_X11, xreg)
        uc.reg_write(rc.UC_RISCV_REG_FFLAGS, 0)
        uc.emu_start(0x1000, 0x1004)
        f10 = uc.reg_read(rc.UC_RISCV_REG_F10) & ((1 << (out or fmt).bits) - 1)
        return f10, uc.reg_read(rc.UC_RISCV_REG_X10), uc.reg_read(rc.UC_RISCV_REG_FFLAGS)


def _op(f7, rs2, rm, op=0x53):
    return (f7 << 25) | (rs2 << 20) | (1 << 15) | (rm << 12) | (10 << 7) | op


def test_cross_check_qemu_softfloat():
    unicorn = pytest.importorskip("unicorn")
    import unicorn.riscv_const as rc

    q = _Qemu(unicorn, rc)
    rng = random.Random(11)
    mismatches = []
    for fmt in (F32, F64):
        fd = 0 if fmt is F32 else 1
        other = F64 if fmt is F32 else F32
        for _ in range(250):
            a, b, c = random_values(fmt, rng, 3)
            rm = rng.choice(MODES)
            checks = []
            for k, name in enumerate(("add", "sub", "mul", "div")):
                r, _, fl = q.run(fmt, _op(4 * k | fd, 2, rm), (a, b))
                checks.append((name, getattr(sf, name)(fmt, a, b, rm), (r, fl)))
            r, _, fl = q.run(fmt, _op(0x2C | fd, 0, rm), (a,))
            checks.append(("sqrt", sf.sqrt(fmt, a, rm), (r, fl)))
            for op, np_, na in ((0x43, 0, 0), (0x47, 0, 1), (0x4B, 1, 0), (0x4F, 1, 1)):
                insn = (3 << 27) | (fd << 25) | (2 << 20) | (1 << 15) | (rm << 12) | (10 << 7) | op
                r, _, fl = q.run(fmt, insn, (a, b, c))
                inf_zero = {a & fmt.mag_mask, b & fmt.mag_mask} == {0, fmt.inf}
                if inf_zero and is_nan(fmt, c):
                    fl = NV  # QEMU 5 (in Unicorn) misses RISC-V's NV for inf*0 + qNaN
                checks.append((f"fma{np_}{na}", sf.fma(fmt, a, b, c, rm, bool(np_), bool(na)), (r, fl)))
            for f3, name in ((2, "eq"), (1, "lt"), (0, "le")):
                _, x, fl = q.run(fmt, _op(0x50 | fd, 2, f3), (a, b))
                checks.append((name, getattr(sf, name)(fmt, a, b), (x, fl)))
            if not any(is_nan(fmt, v) and not v & fmt.quiet_bit for v in (a, b)):  # QEMU 5: 2008 minNum on sNaN
                for f3, name in ((0, "min_"), (1, "max_")):
                    r, _, fl = q.run(fmt, _op(0x14 | fd, 2, f3), (a, b))
                    checks.append((name, getattr(sf, name)(fmt, a, b), (r, fl)))
            _, x, _ = q.run(fmt, _op(0x70 | fd, 0, 1), (a,))
            checks.append(("classify", sf.classify(fmt, a), x))
            for signed in (True, False):
                _, x, fl = q.run(fmt, _op(0x60 | fd, 0 if signed else 1, rm), (a,))
                checks.append(("to_int", sf.to_int(fmt, a, rm, signed), (x, fl)))
                v = rng.getrandbits(32) >> rng.randint(0, 31)
                r, _, fl = q.run(fmt, (_op(0x68 | fd, 0 if signed else 1, rm) & ~(31 << 15)) | (11 << 15), (), v)
                checks.append(("from_int", sf.from_int(fmt, v, signed, rm), (r, fl)))
            r, _, fl = q.run(fmt, _op(0x20 | (1 - fd), fd, rm), (a,), out=other)
            checks.append(("convert", sf.convert(fmt, other, a, rm), (r, fl)))
            mismatches += [(n, fmt, rm, hex(a), hex(b), hex(c), got, want) for n, got, want in checks if got != want]
    assert not mismatches, mismatches[:10]
