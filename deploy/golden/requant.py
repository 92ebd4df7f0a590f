"""RequantShift as `RequantShift_s*_s8_NCHW/NHWC` computes it (mul/add broadcast per channel)."""

from __future__ import annotations

import numpy as np

from deploy.integers import wrap_int32
from deploy.operators.quantized import RequantShiftAttrs


def requant_bounds(n_levels: int, signed: bool) -> tuple[int, int]:
    return (-(n_levels // 2), n_levels // 2 - 1) if signed else (0, n_levels - 1)


def requantize(acc: np.ndarray, mul: np.ndarray, add: np.ndarray, log2d: int, n_levels: int, signed: bool):
    """clip(((acc*mul + add + 2^(log2D-1)) wrapped to int32) >> log2D); the shift is arithmetic (floor)."""
    rounding = (1 << (log2d - 1)) if log2d > 0 else 0
    scaled = wrap_int32(np.asarray(acc, np.int64) * np.asarray(mul, np.int64) + np.asarray(add, np.int64) + rounding)
    return np.clip(scaled >> log2d, *requant_bounds(n_levels, signed))


def requant_shift(attrs: RequantShiftAttrs, x, mul, add):
    return requantize(x, mul, add, attrs.log2d, attrs.n_levels, attrs.signed)
