"""fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber), feq/flt/fle and fclass."""

from .formats import NV


def _key(x, sign_bit):
    """Orders non-NaN values numerically, with -0 == +0."""
    return (sign_bit - x) if x & sign_bit else x


def _nan_pair(fmt, a, b):
    """(a is NaN, b is NaN, flags): NV when either is a signalling NaN."""
    mag, inf, quiet = fmt.mag_mask, fmt.inf, fmt.quiet_bit
    an = (a & mag) > inf
    bn = (b & mag) > inf
    flags = NV if (an and not a & quiet) or (bn and not b & quiet) else 0
    return an, bn, flags


def min_(fmt, a, b):
    """fmin: the smaller operand, -0 < +0; a NaN operand yields the other; both NaN: canonical."""
    if (a & fmt.mag_mask) > fmt.inf or (b & fmt.mag_mask) > fmt.inf:
        return _nan_select(fmt, a, b)
    sb = fmt.sign_bit
    ka, kb = _key(a, sb), _key(b, sb)
    if ka == kb:
        return a | b, 0  # equal, or -0 and +0: -0
    return (a if ka < kb else b), 0


def max_(fmt, a, b):
    """fmax: the larger operand, +0 > -0; a NaN operand yields the other; both NaN: canonical."""
    if (a & fmt.mag_mask) > fmt.inf or (b & fmt.mag_mask) > fmt.inf:
        return _nan_select(fmt, a, b)
    sb = fmt.sign_bit
    ka, kb = _key(a, sb), _key(b, sb)
    if ka == kb:
        return a & b, 0  # equal, or -0 and +0: +0
    return (a if ka > kb else b), 0


def _nan_select(fmt, a, b):
    """One NaN operand: the other one; both NaN: the canonical NaN."""
    an, bn, flags = _nan_pair(fmt, a, b)
    if an and bn:
        return fmt.canonical_nan, flags
    return (b if an else a), flags


def eq(fmt, a, b):
    """Quiet comparison: NV only for a signalling NaN."""
    mag, inf = fmt.mag_mask, fmt.inf
    if (a & mag) > inf or (b & mag) > inf:
        return 0, _nan_pair(fmt, a, b)[2]
    return int(a == b or not (a | b) & mag), 0  # same bits, or +0 == -0


def lt(fmt, a, b):
    """Signalling comparison: NV for any NaN."""
    mag, inf, sb = fmt.mag_mask, fmt.inf, fmt.sign_bit
    if (a & mag) > inf or (b & mag) > inf:
        return 0, NV
    return int(((sb - a) if a & sb else a) < ((sb - b) if b & sb else b)), 0


def le(fmt, a, b):
    """Signalling comparison: NV for any NaN."""
    mag, inf, sb = fmt.mag_mask, fmt.inf, fmt.sign_bit
    if (a & mag) > inf or (b & mag) > inf:
        return 0, NV
    return int(((sb - a) if a & sb else a) <= ((sb - b) if b & sb else b)), 0


def classify(fmt, a):
    """fclass: one of ten bits (-inf, -normal, -subnormal, -0, +0, +subnormal, +normal, +inf, sNaN, qNaN)."""
    mag = a & fmt.mag_mask
    neg = bool(a & fmt.sign_bit)
    if mag > fmt.inf:
        return 1 << 9 if a & fmt.quiet_bit else 1 << 8
    if mag == fmt.inf:
        return 1 << 0 if neg else 1 << 7
    if mag == 0:
        return 1 << 3 if neg else 1 << 4
    if mag < fmt.hidden:
        return 1 << 2 if neg else 1 << 5
    return 1 << 1 if neg else 1 << 6
