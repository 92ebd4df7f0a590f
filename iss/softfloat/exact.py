"""Arithmetic by exact integer computation and one rounding: add, sub, mul, div, sqrt, fma.

`make_exact(fmt)` builds the six operations specialised to one format (constants bound in
closures, decoding inlined). A finite operand decodes to an integer significand m and
exponent e (value m * 2^e); the exact result is an integer, or a truncated quotient/root with
a sticky bit, and `round_pack` rounds it once. NaN results are the canonical NaN; signalling
NaN operands raise NV.
"""

from math import isqrt
from types import SimpleNamespace

from .formats import DZ, NV, RDN
from .rounding import make_round_pack


def _nan_result(fmt, *xs):
    """Canonical NaN, with NV if any operand is a signalling NaN."""
    inf, quiet, mag = fmt.inf, fmt.quiet_bit, fmt.mag_mask
    for x in xs:
        if (x & mag) > inf and not x & quiet:
            return fmt.canonical_nan, NV
    return fmt.canonical_nan, 0


def decode(fmt, x):
    """Finite x -> (sign, m, e) with value (-1)^sign * m * 2^e."""
    xe = (x >> fmt.frac_bits) & fmt.exp_max
    m = x & fmt.frac_mask
    if xe:
        m |= fmt.hidden
        xe -= 1
    return x >> (fmt.bits - 1), m, xe + fmt.qmin


def _add_special(fmt, a, b):
    mag, inf = fmt.mag_mask, fmt.inf
    if (a & mag) > inf or (b & mag) > inf:
        return _nan_result(fmt, a, b)
    if (a & mag) == inf:
        if (b & mag) == inf and a != b:
            return fmt.canonical_nan, NV  # inf - inf
        return a, 0
    return b, 0


def _mul_special(fmt, a, b):
    mag, inf = fmt.mag_mask, fmt.inf
    if (a & mag) > inf or (b & mag) > inf:
        return _nan_result(fmt, a, b)
    if (a & mag) == 0 or (b & mag) == 0:
        return fmt.canonical_nan, NV  # inf * 0
    return ((a ^ b) & fmt.sign_bit) | inf, 0


def _div_special(fmt, a, b):
    """Division with a NaN, an infinity or a zero operand."""
    mag, inf = fmt.mag_mask, fmt.inf
    ax, bx = a & mag, b & mag
    sbit = (a ^ b) & fmt.sign_bit
    if ax > inf or bx > inf:
        return _nan_result(fmt, a, b)
    if ax == inf:
        return (fmt.canonical_nan, NV) if bx == inf else (sbit | inf, 0)
    if bx == inf:
        return sbit, 0
    if bx == 0:
        return (fmt.canonical_nan, NV) if ax == 0 else (sbit | inf, DZ)
    return sbit, 0  # 0 / finite


def _sqrt_special(fmt, a):
    """Square root of a NaN, an infinity, a zero or a negative number."""
    ax = a & fmt.mag_mask
    if ax > fmt.inf:
        return _nan_result(fmt, a)
    if ax == 0 or a == fmt.inf:
        return a, 0  # sqrt(+-0) = +-0, sqrt(+inf) = +inf
    return fmt.canonical_nan, NV


def _fma_special(fmt, a, b, c, ps, cs):
    """a*b + c with a NaN or infinite operand; ps, cs: effective signs of product and addend."""
    mag, inf = fmt.mag_mask, fmt.inf
    ax, bx, cx = a & mag, b & mag, c & mag
    inf_times_zero = (ax == inf and bx == 0) or (bx == inf and ax == 0)
    if ax > inf or bx > inf or cx > inf:
        bits, flags = _nan_result(fmt, a, b, c)
        return bits, (NV if inf_times_zero else flags)  # RISC-V: inf*0 + qNaN raises NV
    if inf_times_zero:
        return fmt.canonical_nan, NV
    if ax == inf or bx == inf:
        if cx == inf and cs != ps:
            return fmt.canonical_nan, NV  # inf - inf
        return (fmt.sign_bit | inf) if ps else inf, 0
    return (fmt.sign_bit | inf) if cs else inf, 0


def make_exact(fmt):
    """The six operations for fmt: add/sub/mul/div(a, b, rm), sqrt(a, rm),
    fma(a, b, c, rm, negate_product, negate_addend); each returns (bits, flags)."""
    FB, EMAX, FM, HID, QMIN = fmt.frac_bits, fmt.exp_max, fmt.frac_mask, fmt.hidden, fmt.qmin
    SH, SIGN, MAG, INF = fmt.bits - 1, fmt.sign_bit, fmt.mag_mask, fmt.inf
    P2 = fmt.precision + 2
    round_fmt = make_round_pack(fmt)

    def sum_(sa, ma, ea, sb, mb, eb, rm):
        """Round (-1)^sa*ma*2^(ea+QMIN) + (-1)^sb*mb*2^(eb+QMIN); an exact zero gets the IEEE sign."""
        if ea > eb:
            ma <<= ea - eb
            ea = eb
        elif eb > ea:
            mb <<= eb - ea
        s = (-ma if sa else ma) + (-mb if sb else mb)
        if s > 0:
            return round_fmt(0, s, ea + QMIN, rm)
        if s < 0:
            return round_fmt(1, -s, ea + QMIN, rm)
        # x + (-x) is +0 (-0 when rounding down); (+-0) + (+-0) keeps a common sign.
        return (SIGN if (sa if sa == sb else rm == RDN) else 0), 0

    def add(a, b, rm):
        xa = (a >> FB) & EMAX
        xb = (b >> FB) & EMAX
        if xa == EMAX or xb == EMAX:
            return _add_special(fmt, a, b)
        ma = a & FM
        if xa:
            ma |= HID
            xa -= 1
        mb = b & FM
        if xb:
            mb |= HID
            xb -= 1
        # sum_ inlined (the hot path)
        if xa > xb:
            ma <<= xa - xb
            xa = xb
        elif xb > xa:
            mb <<= xb - xa
        s = (mb - ma if a & SIGN else ma + mb) if not b & SIGN else (-ma - mb if a & SIGN else ma - mb)
        if s > 0:
            return round_fmt(0, s, xa + QMIN, rm)
        if s < 0:
            return round_fmt(1, -s, xa + QMIN, rm)
        return (SIGN if (a & b & SIGN or (a ^ b) & SIGN and rm == RDN) else 0), 0

    def sub(a, b, rm):
        return add(a, b ^ SIGN, rm)

    def mul(a, b, rm):
        xa = (a >> FB) & EMAX
        xb = (b >> FB) & EMAX
        if xa == EMAX or xb == EMAX:
            return _mul_special(fmt, a, b)
        ma = a & FM
        if xa:
            ma |= HID
            xa -= 1
        mb = b & FM
        if xb:
            mb |= HID
            xb -= 1
        m = ma * mb
        if m:
            return round_fmt((a ^ b) >> SH, m, xa + xb + 2 * QMIN, rm)
        return (a ^ b) & SIGN, 0

    def div(a, b, rm):
        xa = (a >> FB) & EMAX
        xb = (b >> FB) & EMAX
        if xa == EMAX or xb == EMAX or not a & MAG or not b & MAG:
            return _div_special(fmt, a, b)
        ma = a & FM
        if xa:
            ma |= HID
            xa -= 1
        mb = b & FM
        if xb:
            mb |= HID
            xb -= 1
        # Keep precision + 2 quotient bits, then a sticky bit for the remainder.
        k = P2 + mb.bit_length() - ma.bit_length()
        if k < 0:
            k = 0
        q, r = divmod(ma << k, mb)
        return round_fmt((a ^ b) >> SH, (q << 1) | (r != 0), xa - xb - k - 1, rm)

    def sqrt(a, rm):
        xa = (a >> FB) & EMAX
        if xa == EMAX or a & SIGN or not a:
            return _sqrt_special(fmt, a)
        m = a & FM
        if xa:
            m |= HID
            xa -= 1
        e = xa + QMIN
        s = 2 * P2 - m.bit_length()  # root keeps precision + 2 bits
        if s < 0:
            s = 0
        if (e - s) & 1:
            s += 1
        m <<= s
        root = isqrt(m)
        return round_fmt(0, (root << 1) | (root * root != m), ((e - s) >> 1) - 1, rm)

    def fma(a, b, c, rm, negate_product=False, negate_addend=False):
        """(+-a*b) + (+-c) with a single rounding."""
        ps = ((a ^ b) >> SH) ^ (1 if negate_product else 0)
        cs = (c >> SH) ^ (1 if negate_addend else 0)
        xa = (a >> FB) & EMAX
        xb = (b >> FB) & EMAX
        xc = (c >> FB) & EMAX
        if xa == EMAX or xb == EMAX or xc == EMAX:
            return _fma_special(fmt, a, b, c, ps, cs)
        ma = a & FM
        if xa:
            ma |= HID
            xa -= 1
        mb = b & FM
        if xb:
            mb |= HID
            xb -= 1
        mc = c & FM
        if xc:
            mc |= HID
            xc -= 1
        return sum_(ps, ma * mb, xa + xb + QMIN, cs, mc, xc, rm)

    return SimpleNamespace(add=add, sub=sub, mul=mul, div=div, sqrt=sqrt, fma=fma)
