"""Public arithmetic entry points: RNE goes to the host-float fast paths (which fall back to the
exact path when they cannot prove the flags); other modes, and f64 fma, to the exact path."""

from functools import partial

from .exact import make_exact
from .formats import F32, F64, RNE
from .hostfloat import HOST_RNE, make_f32, make_f64

_x32, _x64 = make_exact(F32), make_exact(F64)
_xadd32, _xsub32, _xmul32, _xdiv32, _xsqrt32, _xfma32 = _x32.add, _x32.sub, _x32.mul, _x32.div, _x32.sqrt, _x32.fma
_xadd64, _xsub64, _xmul64, _xdiv64, _xsqrt64, _xfma64 = _x64.add, _x64.sub, _x64.mul, _x64.div, _x64.sqrt, _x64.fma
if HOST_RNE:
    _add32, _sub32, _mul32, _div32, _sqrt32, _fma32 = make_f32(_x32)
    _add64, _sub64, _mul64, _div64, _sqrt64 = make_f64(_x64)
else:  # host not rounding to nearest-even: RNE through the exact path too
    _add32, _sub32, _mul32, _div32, _sqrt32 = (
        partial(f, rm=RNE) for f in (_xadd32, _xsub32, _xmul32, _xdiv32, _xsqrt32))
    _add64, _sub64, _mul64, _div64, _sqrt64 = (
        partial(f, rm=RNE) for f in (_xadd64, _xsub64, _xmul64, _xdiv64, _xsqrt64))

    def _fma32(a, b, c, negate_product=False, negate_addend=False):
        return _xfma32(a, b, c, RNE, negate_product, negate_addend)


def _check(fmt):
    if fmt is not F32:
        raise ValueError(f"unknown floating-point format {fmt!r}")


def add(fmt, a, b, rm):
    if fmt is F64:
        return _add64(a, b) if rm == RNE else _xadd64(a, b, rm)
    _check(fmt)
    return _add32(a, b) if rm == RNE else _xadd32(a, b, rm)


def sub(fmt, a, b, rm):
    if fmt is F64:
        return _sub64(a, b) if rm == RNE else _xsub64(a, b, rm)
    _check(fmt)
    return _sub32(a, b) if rm == RNE else _xsub32(a, b, rm)


def mul(fmt, a, b, rm):
    if fmt is F64:
        return _mul64(a, b) if rm == RNE else _xmul64(a, b, rm)
    _check(fmt)
    return _mul32(a, b) if rm == RNE else _xmul32(a, b, rm)


def div(fmt, a, b, rm):
    if fmt is F64:
        return _div64(a, b) if rm == RNE else _xdiv64(a, b, rm)
    _check(fmt)
    return _div32(a, b) if rm == RNE else _xdiv32(a, b, rm)


def sqrt(fmt, a, rm):
    if fmt is F64:
        return _sqrt64(a) if rm == RNE else _xsqrt64(a, rm)
    _check(fmt)
    return _sqrt32(a) if rm == RNE else _xsqrt32(a, rm)


def fma(fmt, a, b, c, rm, negate_product=False, negate_addend=False):
    """(+-a*b) + (+-c), one rounding: fmadd (False, False), fmsub (False, True),
    fnmsub (True, False), fnmadd (True, True)."""
    if fmt is F64:
        return _xfma64(a, b, c, rm, negate_product, negate_addend)
    _check(fmt)
    if rm == RNE:
        return _fma32(a, b, c, negate_product, negate_addend)
    return _xfma32(a, b, c, rm, negate_product, negate_addend)
