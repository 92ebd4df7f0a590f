"""Round-to-nearest-even fast paths on the host's binary64 arithmetic, with provably exact flags.

Python floats are IEEE binary64 with round-to-nearest-even, so for RNE they give the
correctly rounded f64 add/sub/mul/div/sqrt; binary32 results come from binary64 arithmetic
and one binary64 -> binary32 conversion (double rounding is innocuous for +, -, *, /, sqrt
since 53 >= 2*24 + 2). The flags are derived exactly:

* NX: add/sub - the sum s = x + y is exact iff s - x == y and s - y == x (for |x| >= |y|,
  s - x is computed exactly, so an error would show); f64 mul/div/sqrt - an integer check
  that significand products reproduce the operand (p == a*b, q*y == x, r*r == x); f32 - the
  binary64 step is exact (mul) or checked the same way, and the binary64 -> binary32
  conversion must round-trip.
* f32 fma: the binary64 product p is exact; s = p + z and its TwoSum error err give the exact
  result s + err, which rounds to binary32 like s does unless s is a binary32 midpoint and
  err != 0 (then the exact path decides); NX if err != 0 or s does not round-trip.
* OF: an infinite result from finite operands (RNE overflows to infinity).
* UF: never taken here. Operands must be normal (or zero where allowed) and the result's
  magnitude strictly above the smallest normal, else the exact path decides; so the host's
  subnormal handling (DAZ/FTZ) and tininess rules never matter.

Anything else (NaN, infinity, subnormal operands, tiny results) goes to the exact path, and
so does everything if an import-time check finds the host not rounding to nearest-even.
The conversions go through one shared buffer: not thread-safe (the simulator is single-threaded).
"""

from math import sqrt as _host_sqrt

from .formats import F32, F64, NX, OF

_buf = memoryview(bytearray(16))
_u64, _f64 = _buf.cast("Q"), _buf.cast("d")
_u32, _f32 = _buf.cast("I"), _buf.cast("f")

_OFNX = OF | NX


def _host_rounds_to_nearest_even(one=float("1"), ulp=float.fromhex("0x1p-52")):
    """Import-time check of the host FPU's rounding (values passed in so nothing is constant-folded)."""
    return (
        one + ulp * 0.75 == one + ulp  # not toward zero / down
        and one + ulp / 256 == one  # not up
        and -one - ulp / 256 == -one  # not down
        and one + ulp / 2 == one  # tie to even (down)
        and (one + ulp) + ulp / 2 == one + 2 * ulp  # tie to even (up)
    )


HOST_RNE = _host_rounds_to_nearest_even()  # if False, every operation takes the exact path


def make_f64(exact):
    """RNE f64 add, sub, mul, div, sqrt; `exact` is the exact F64 namespace (fallback)."""
    MAG, INF, FM, HID = F64.mag_mask, F64.inf, F64.frac_mask, F64.hidden
    MINN = HID  # magnitude bits of the smallest normal
    SIGN = F64.sign_bit
    LOW52, LOW53 = (1 << 52) - 1, (1 << 53) - 1
    x_add, x_mul, x_div, x_sqrt = exact.add, exact.mul, exact.div, exact.sqrt

    def add(a, b):
        ma = a & MAG
        mb = b & MAG
        if (MINN <= ma < INF or not ma) and (MINN <= mb < INF or not mb):
            _u64[0] = a
            _u64[1] = b
            x = _f64[0]
            y = _f64[1]
            s = x + y
            _f64[0] = s
            r = _u64[0]
            mr = r & MAG
            if MINN < mr < INF:
                return r, (0 if s - x == y and s - y == x else NX)
            if mr == INF:
                return r, _OFNX
        return x_add(a, b, 0)

    def sub(a, b):
        return add(a, b ^ SIGN)

    def mul(a, b):
        ma = a & MAG
        mb = b & MAG
        if MINN <= ma < INF and MINN <= mb < INF:
            _u64[0] = a
            _u64[1] = b
            _f64[0] = _f64[0] * _f64[1]
            r = _u64[0]
            mr = r & MAG
            if MINN < mr < INF:
                # The 105/106-bit significand product is exact iff its bits below 53 are zero.
                prod = ((a & FM) | HID) * ((b & FM) | HID)
                return r, (NX if prod & (LOW53 if prod >> 105 else LOW52) else 0)
            if mr == INF:
                return r, _OFNX
        return x_mul(a, b, 0)

    def div(a, b):
        ma = a & MAG
        mb = b & MAG
        if MINN <= ma < INF and MINN <= mb < INF:
            _u64[0] = a
            _u64[1] = b
            _f64[0] = _f64[0] / _f64[1]
            r = _u64[0]
            mr = r & MAG
            if MINN < mr < INF:
                # q*y == x exactly iff sig(q)*sig(y) == sig(x) * 2^52 or 2^53 (all in [2^52, 2^53)).
                t = ((r & FM) | HID) * ((b & FM) | HID)
                m = (a & FM) | HID
                return r, (0 if t == m << 52 or t == m << 53 else NX)
            if mr == INF:
                return r, _OFNX
        return x_div(a, b, 0)

    def sqrt(a):
        if MINN <= a < INF:  # positive normal; the root is normal too
            _u64[0] = a
            _f64[0] = _host_sqrt(_f64[0])
            r = _u64[0]
            mr = (r & FM) | HID
            t = mr * mr
            m = (a & FM) | HID
            return r, (0 if t == m << 52 or t == m << 53 else NX)
        return x_sqrt(a, 0)

    return add, sub, mul, div, sqrt


def make_f32(exact):
    """RNE f32 add, sub, mul, div, sqrt, fma via binary64; `exact` is the exact F32 namespace."""
    MAG, INF, SIGN = F32.mag_mask, F32.inf, F32.sign_bit
    MINN = F32.hidden  # magnitude bits of the smallest normal
    x_add, x_mul, x_div, x_sqrt, x_fma = exact.add, exact.mul, exact.div, exact.sqrt, exact.fma

    def add(a, b):
        ma = a & MAG
        mb = b & MAG
        if (MINN <= ma < INF or not ma) and (MINN <= mb < INF or not mb):
            _u32[0] = a
            _u32[1] = b
            x = _f32[0]
            y = _f32[1]
            s = x + y
            _f32[0] = s
            r = _u32[0]
            mr = r & MAG
            if MINN < mr < INF:
                return r, (0 if s - x == y and s - y == x and _f32[0] == s else NX)
            if mr == INF:
                return r, _OFNX
        return x_add(a, b, 0)

    def sub(a, b):
        return add(a, b ^ SIGN)

    def mul(a, b):
        ma = a & MAG
        mb = b & MAG
        if MINN <= ma < INF and MINN <= mb < INF:
            _u32[0] = a
            _u32[1] = b
            p = _f32[0] * _f32[1]  # exact: 48 significant bits
            _f32[0] = p
            r = _u32[0]
            mr = r & MAG
            if MINN < mr < INF:
                return r, (0 if _f32[0] == p else NX)
            if mr == INF:
                return r, _OFNX
        return x_mul(a, b, 0)

    def div(a, b):
        ma = a & MAG
        mb = b & MAG
        if MINN <= ma < INF and MINN <= mb < INF:
            _u32[0] = a
            _u32[1] = b
            x = _f32[0]
            y = _f32[1]
            _f32[0] = x / y
            r = _u32[0]
            mr = r & MAG
            if MINN < mr < INF:
                return r, (0 if _f32[0] * y == x else NX)  # 24x24-bit product: exact in binary64
            if mr == INF:
                return r, _OFNX
        return x_div(a, b, 0)

    def sqrt(a):
        if MINN <= a < INF:
            _u32[0] = a
            x = _f32[0]
            _f32[0] = _host_sqrt(x)
            r = _u32[0]
            q = _f32[0]
            return r, (0 if q * q == x else NX)
        return x_sqrt(a, 0)

    def fma(a, b, c, negate_product=False, negate_addend=False):
        ma = a & MAG
        mb = b & MAG
        mc = c & MAG
        if (MINN <= ma < INF or not ma) and (MINN <= mb < INF or not mb) and (MINN <= mc < INF or not mc):
            _u32[0] = a
            _u32[1] = b
            _u32[2] = c
            p = _f32[0] * _f32[1]  # exact
            z = _f32[2]
            if negate_product:
                p = -p
            if negate_addend:
                z = -z
            s = p + z
            bb = s - p
            err = (p - (s - bb)) + (z - bb)  # TwoSum: p + z == s + err exactly
            _f64[1] = s
            # s + err rounds to binary32 like s does unless s is a binary32 midpoint
            # (low 29 of its 52 fraction bits exactly 1000...0) and err breaks the tie.
            if not err or (_u64[1] & 0x1FFFFFFF) != 0x10000000:
                _f32[0] = s
                r = _u32[0]
                mr = r & MAG
                if MINN < mr < INF:
                    return r, (NX if err or _f32[0] != s else 0)
                if mr == INF:
                    return r, _OFNX
        return x_fma(a, b, c, 0, negate_product, negate_addend)

    return add, sub, mul, div, sqrt, fma


def f64_to_f32(a):
    """RNE binary64 -> binary32 for a normal or zero operand with a normal (or infinite) result;
    None when the exact path must decide."""
    mag = a & F64.mag_mask
    if HOST_RNE and (F64.hidden <= mag < F64.inf or not mag):
        _u64[0] = a
        x = _f64[0]
        _f32[2] = x
        r = _u32[2]
        mr = r & F32.mag_mask
        if F32.hidden < mr < F32.inf:
            return r, (0 if _f32[2] == x else NX)
        if mr == F32.inf:
            return r, _OFNX
        if not mag:
            return r, 0
    return None
