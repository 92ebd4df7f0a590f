"""The one correctly rounded step: an exact value (-1)^sign * m * 2^e to a format's bits and flags.

Callers with an inexact intermediate (division, square root) append a sticky bit: they pass
(m << 1) | (remainder != 0) with e - 1, having kept at least precision + 1 bits in m, so the
sticky bit lies strictly below the rounding position and only breaks ties.
"""

from .formats import NX, OF, RDN, RMM, RNE, RTZ, RUP, UF


def rounds_away(sign, r, rem, half, rm):
    """Whether truncated significand r with nonzero remainder rem (half = midpoint) increments."""
    if rm == RNE:
        return rem > half or (rem == half and r & 1)
    if rm == RTZ:
        return False
    if rm == RDN:
        return sign
    if rm == RUP:
        return not sign
    return rem >= half  # RMM


def overflow_result(fmt, sign, rm):
    """Result of an overflowing operation: inf or the largest finite value, by rounding direction."""
    if rm == RNE or rm == RMM or (rm == RUP and not sign) or (rm == RDN and sign):
        mag = fmt.inf
    else:
        mag = fmt.max_finite
    return (fmt.sign_bit | mag) if sign else mag


def round_pack(fmt, sign, m, e, rm):
    """Round (-1)^sign * m * 2^e (m > 0) to fmt; returns (bits, flags).

    Overflow gives OF|NX and inf or max-finite by mode; underflow (UF) is raised when the
    result is inexact and tiny after rounding, i.e. rounding to `precision` bits with an
    unbounded exponent range would still give a magnitude below 2^emin.
    """
    p = fmt.precision
    qmin = fmt.qmin
    q = e + m.bit_length() - p  # weight of the last kept bit with an unbounded exponent
    tiny = q < qmin
    if tiny:
        q = qmin
    shift = q - e
    flags = 0
    if shift <= 0:
        r = m << -shift
    else:
        r = m >> shift
        rem = m & ((1 << shift) - 1)
        if rem:
            flags = NX
            if rounds_away(sign, r, rem, 1 << (shift - 1), rm):
                r += 1
            if tiny and not _reaches_min_normal(fmt, sign, m, e, rm):
                flags |= UF
    # Exponent field and significand add up; a carry out of the significand bumps the exponent.
    mag = ((q - qmin) << fmt.frac_bits) + r
    if mag >= fmt.inf:
        return overflow_result(fmt, sign, rm), OF | NX
    return (fmt.sign_bit | mag) if sign else mag, flags


def _reaches_min_normal(fmt, sign, m, e, rm):
    """For a value below 2^emin: does rounding to full precision (unbounded exponent) reach 2^emin?"""
    p = fmt.precision
    n = m.bit_length()
    if e + n != fmt.emin:  # leading bit must be just below 2^emin, else the value stays tiny
        return False
    shift = n - p
    if shift <= 0:
        return False  # exactly representable with unbounded exponent: stays below 2^emin
    r = m >> shift
    rem = m & ((1 << shift) - 1)
    return r == (1 << p) - 1 and rem != 0 and bool(rounds_away(sign, r, rem, 1 << (shift - 1), rm))


def make_round_pack(fmt):
    """round_pack specialised to fmt, with the normal-range path inlined: f(sign, m, e, rm)."""
    P, QMIN, FB, INF, SIGN = fmt.precision, fmt.qmin, fmt.frac_bits, fmt.inf, fmt.sign_bit

    def round_fmt(sign, m, e, rm):
        q = e + m.bit_length() - P
        if q < QMIN:
            return round_pack(fmt, sign, m, e, rm)
        shift = q - e
        if shift <= 0:
            mag = ((q - QMIN) << FB) + (m << -shift)
            flags = 0
        else:
            r = m >> shift
            rem = m & ((1 << shift) - 1)
            if rem:
                flags = NX
                if rm == RNE:
                    half = 1 << (shift - 1)
                    if rem > half or (rem == half and r & 1):
                        r += 1
                elif rm == RMM:
                    if rem >= 1 << (shift - 1):
                        r += 1
                elif rm == RUP:
                    if not sign:
                        r += 1
                elif rm == RDN:
                    if sign:
                        r += 1
            else:
                flags = 0
            mag = ((q - QMIN) << FB) + r
        if mag >= INF:
            return overflow_result(fmt, sign, rm), OF | NX
        return (SIGN | mag) if sign else mag, flags

    return round_fmt
