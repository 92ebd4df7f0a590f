"""Integer activations: iGELU (`GELU_s8_s32`) and iHardswish (`iHardswish_s8_s32`), int32 results."""

from __future__ import annotations

import numpy as np

from deploy.integers import wrap, wrap_int32
from deploy.operators.quantized import IGELUAttrs, IHardswishAttrs


def i_gelu(attrs: IGELUAttrs, x):
    """q = min(|x|, -b); L = sgn(x)*(one - (q+b)^2); y = x * ((one + L) >> 1).
    The C kernel takes b as int8 and one as int16; out-of-range attributes wrap as the call would."""
    b = int(wrap(np.int64(attrs.b), np.dtype(np.int8)))
    one = int(wrap(np.int64(attrs.one), np.dtype(np.int16)))
    x = np.asarray(x, np.int64)
    sign = np.sign(x)
    q = np.minimum(np.abs(x), -b)
    d = q + b
    curve = wrap_int32(sign * wrap_int32(one - d * d))
    return wrap_int32(x * (wrap_int32(one + curve) >> 1))


def i_hardswish(attrs: IHardswishAttrs, x):
    """y = x * int32(clip(x + three, 0, six) * one_over_six)."""
    x = np.asarray(x, np.int64)
    gate = wrap_int32(np.clip(x + attrs.three, 0, attrs.six) * attrs.one_over_six)
    return wrap_int32(x * gate)
