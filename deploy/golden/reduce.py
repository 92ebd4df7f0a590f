"""IntegerMean as Deeploy's ReduceMean template computes it (int32 accumulator)."""

from __future__ import annotations

import numpy as np

from deploy.integers import trunc_div, wrap_int32
from deploy.operators.quantized import IntegerMeanAttrs


def integer_mean(attrs: IntegerMeanAttrs, x):
    """Sum over `axes`, then: (acc + L/2) >> log2(L) if L is a power of two and keepdims is 0,
    else trunc((acc + sgn(acc)*(L>>1)) / L) (round half away from zero)."""
    x = np.asarray(x, np.int64)
    axes = tuple(sorted(a % x.ndim for a in attrs.axes))
    length = int(np.prod([x.shape[a] for a in axes]))
    acc = wrap_int32(x.sum(axis=axes, keepdims=attrs.keepdims))
    if not attrs.keepdims and length > 1 and length & (length - 1) == 0:
        shift = length.bit_length() - 1
        return (acc + (1 << (shift - 1))) >> shift
    sign = np.where(acc < 0, -1, 1)
    return trunc_div(acc + sign * (length >> 1), length)
