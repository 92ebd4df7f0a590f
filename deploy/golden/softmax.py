"""Integer softmaxes over the last axis, as `Softmax_s8.c` computes them (results unsigned, true domain).

The C kernels store an unsigned result q as (int8)(q - n_levels/2); here q itself is returned.
"""

from __future__ import annotations

import numpy as np

from deploy.integers import trunc_div, wrap, wrap_int32
from deploy.operators.quantized import ISoftmaxAttrs, ITAMaxAttrs, ITAPartialMaxAttrs

_U32 = (1 << 32) - 1
_INT8, _INT16 = np.dtype(np.int8), np.dtype(np.int16)


def i_softmax(attrs: ISoftmaxAttrs, x):
    """I-BERT softmax (`Softmax_s8_s8`): int16 x~ and p, int8 z, int64->uint64->uint32 y, uint32 sum."""
    x = np.asarray(x, np.int64)
    x_tilde = wrap(x - x.max(axis=-1, keepdims=True), _INT16)
    z = np.clip(wrap(-trunc_div(x_tilde, attrs.log2), _INT8), 0, 31)
    p = wrap(x_tilde + z * attrs.log2, _INT16)
    square = wrap_int32(attrs.coeff_a * wrap_int32((p + attrs.coeff_b) * (p + attrs.coeff_b)))
    y = ((square + attrs.coeff_c).astype(np.uint64) >> z.astype(np.uint64)).astype(np.int64) & _U32
    y_sum = y.sum(axis=-1, keepdims=True) & _U32
    if np.any(y_sum == 0):
        raise ValueError("softmax denominator is zero")
    return ((y * (attrs.n_levels - 1)) & _U32) // y_sum


def _shift(diff: np.ndarray) -> np.ndarray:
    """(uint8)((diff + 16) >> 5): the ITA exponent, 2^-shift ~ e^-diff*eps."""
    return ((diff + 16) >> 5) & 0xFF


def _halve(value: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """value >> shift for non-negative values, 0 once the shift passes the width (C leaves that undefined)."""
    return np.where(shift < 63, value >> np.minimum(shift, 62), 0)


def ita_max(attrs: ITAMaxAttrs, x):
    """`ITAMax_s8`: shift = (max - x + 16) >> 5, inv = (n-1)*256 / sum(256 >> shift), out = inv >> shift."""
    x = np.asarray(x, np.int64)
    shift = _shift(x.max(axis=-1, keepdims=True) - x)
    exp_sum = _halve(np.int64(256), shift).sum(axis=-1, keepdims=True) & _U32
    inverse = ((attrs.n_levels - 1) * 256) // exp_sum
    return _halve(inverse, shift)


def ita_partial_max(attrs: ITAPartialMaxAttrs, x):
    """`ITAPartialMax_s8` (Deeploy variant): running max from the type minimum (-128 for int8), group-wise
    sums rescaled by >> shift_sum, numerator (n/2 - 1)*256; trailing columns beyond the last whole
    group are left out of the sum but still get an output."""
    lowest = np.iinfo(np.asarray(x).dtype).min
    x = np.asarray(x, np.int64)
    rows = x.reshape(-1, x.shape[-1])
    width = attrs.group_width
    global_max = np.full((rows.shape[0], 1), lowest, np.int64)
    partial_sum = np.zeros((rows.shape[0], 1), np.int64)
    for start in range(0, rows.shape[1] - width + 1, width):
        block = rows[:, start : start + width]
        current_max = np.maximum(block.max(axis=1, keepdims=True), lowest)
        grows = current_max > global_max
        shift_sum = np.where(grows, (current_max - global_max + 16) >> 5, 0)
        global_max = np.where(grows, current_max, global_max)
        exp_sum = _halve(np.int64(256), _shift(global_max - block)).sum(axis=1, keepdims=True)
        partial_sum = (_halve(partial_sum, shift_sum) + exp_sum) & _U32
    if np.any(partial_sum == 0):
        raise ValueError("partial softmax denominator is zero")
    inverse = ((attrs.n_levels // 2 - 1) * 256) // partial_sum
    return _halve(inverse, _shift(global_max - rows)).reshape(x.shape)
