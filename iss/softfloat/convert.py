"""Conversions: float -> 32-bit integer (fcvt.w/wu), 32-bit integer -> float, binary32 <-> binary64."""

from .exact import decode
from .formats import F32, F64, NV, NX, RNE
from .hostfloat import f64_to_f32
from .rounding import round_pack, rounds_away

_INT_RANGE = ((0, (1 << 32) - 1), (-(1 << 31), (1 << 31) - 1))  # [unsigned, signed]


def to_int(fmt, a, rm, signed):
    """Round a to an integer; out of range or NaN saturates with NV only (RISC-V fcvt table).

    Returns the 32-bit register value (two's complement for signed results) and the flags:
    NX when in range but inexact.
    """
    lo, hi = _INT_RANGE[1 if signed else 0]
    fb = fmt.frac_bits
    xe = (a >> fb) & fmt.exp_max
    sign = a >> (fmt.bits - 1)
    if xe == fmt.exp_max:
        if a & fmt.frac_mask:
            return hi & 0xFFFF_FFFF, NV  # NaN: the largest value
        return (lo if sign else hi) & 0xFFFF_FFFF, NV
    m = a & fmt.frac_mask
    if xe:
        m |= fmt.hidden
        xe -= 1
    e = xe + fmt.qmin
    inexact = False
    if e >= 0:
        v = m << e if e < 40 else 1 << 40  # beyond any 32-bit range
    else:
        v = m >> -e
        rem = m & ((1 << -e) - 1)
        if rem:
            inexact = True
            if rounds_away(sign, v, rem, 1 << (-e - 1), rm):
                v += 1
    if sign:
        v = -v
    if v < lo:
        return lo & 0xFFFF_FFFF, NV
    if v > hi:
        return hi, NV
    return v & 0xFFFF_FFFF, NX if inexact else 0


def from_int(fmt, value_u32, signed, rm):
    """Convert a 32-bit register value (read as signed or unsigned) to fmt."""
    v = value_u32 & 0xFFFF_FFFF
    if signed and v & 0x8000_0000:
        return round_pack(fmt, 1, (1 << 32) - v, 0, rm)
    if v == 0:
        return 0, 0
    return round_pack(fmt, 0, v, 0, rm)


def convert(src_fmt, dst_fmt, a, rm):
    """fcvt.s.d / fcvt.d.s: NaN -> canonical NaN (NV if signalling); finite values rounded."""
    if src_fmt is F32 and dst_fmt is F64:
        xe = (a >> 23) & 0xFF
        if 0 < xe < 0xFF:  # normal: exact, re-bias the exponent
            return ((a >> 31) << 63) | ((xe + (1023 - 127)) << 52) | ((a & 0x7F_FFFF) << 29), 0
    elif src_fmt is F64 and dst_fmt is F32 and rm == RNE:
        fast = f64_to_f32(a)
        if fast is not None:
            return fast
    mag = a & src_fmt.mag_mask
    sign = a >> (src_fmt.bits - 1)
    if mag >= src_fmt.inf:
        if mag == src_fmt.inf:
            return (dst_fmt.sign_bit | dst_fmt.inf) if sign else dst_fmt.inf, 0
        return dst_fmt.canonical_nan, 0 if a & src_fmt.quiet_bit else NV
    if mag == 0:
        return (dst_fmt.sign_bit if sign else 0), 0
    _, m, e = decode(src_fmt, a)
    return round_pack(dst_fmt, sign, m, e, rm)
