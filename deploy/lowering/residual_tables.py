"""The constants of the fused residual kernel (firmware/kernels/residual.c), computed at deploy time.

Every requantization of the residual block is per tensor and maps a small domain, so it becomes a
table: the kernel then spends loads instead of multiplies, shifts and clips per element. The
tables are computed with the golden executor's requantize, so they are exact by construction.

- input tables (uint8[256]): entry u is RQ(v) - lo for the 8-bit input v whose byte is u (int8
  inputs wrap: u = v & 0xFF), so the kernel indexes them with the raw byte (lbu) whatever the
  operand's type, and the two entries' sum is a non-negative index into the output table;
- output table (int8[span_a + span_b + 1], at most 511): entry s is RQ_y(s + lo_a + lo_b), the
  int32 sum of the two requantized operands, stored as the byte of y (an unsigned y wraps);
- iNoNorm parameters: int32(w * mul) and int32(bias * mul). Modulo 2^32,
  (x*w + bias) * mul = x*(w*mul) + bias*mul, so the kernel saves one multiply per element.
"""

from __future__ import annotations

import numpy as np

from deploy.golden.requant import requant_bounds, requantize
from deploy.integers import wrap_int32

BYTES = np.arange(256, dtype=np.int64)


def byte_values(dtype) -> np.ndarray:
    """The value of every byte 0..255 read as `dtype` (int8 or uint8)."""
    return BYTES.astype(np.uint8).view(np.dtype(dtype)).astype(np.int64)


def input_table(dtype, mul: int, add: int, log2d: int, n_levels: int, signed: bool) -> np.ndarray:
    """uint8[256]: RQ(byte as `dtype`) - lo."""
    lo, _ = requant_bounds(n_levels, signed)
    return (requantize(byte_values(dtype), mul, add, log2d, n_levels, signed) - lo).astype(np.uint8)


def output_table(bounds_a: tuple[int, int], bounds_b: tuple[int, int], mul: int, add: int, log2d: int,
                 n_levels: int, signed: bool) -> np.ndarray:  # fmt: skip
    """int8[hi_a - lo_a + hi_b - lo_b + 1]: the byte of RQ_y(s + lo_a + lo_b) for every reachable s."""
    (lo_a, hi_a), (lo_b, hi_b) = bounds_a, bounds_b
    sums = np.arange(lo_a + lo_b, hi_a + hi_b + 1, dtype=np.int64)
    return requantize(sums, mul, add, log2d, n_levels, signed).astype(np.int8)


def scaled_norm(values: np.ndarray, mul: int) -> np.ndarray:
    """int32(values * mul), the iNoNorm weight or bias with the multiplier folded in."""
    return wrap_int32(np.asarray(values, np.int64) * mul).astype(np.int32)
