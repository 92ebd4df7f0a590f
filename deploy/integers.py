"""Integer helpers that mirror what the C kernels do: typed stores, int32 wrap-around, truncating division."""

from __future__ import annotations

import numpy as np

# Deeploy's minimalIntegerType order: by width, unsigned before signed.
_MINIMAL_ORDER = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.int64))


def dtype_range(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def is_integral(values: np.ndarray) -> bool:
    """True if every value is a finite whole number (any numeric dtype)."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return True
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def fits(values: np.ndarray, dtype: np.dtype) -> bool:
    values = np.asarray(values)
    if values.size == 0:
        return True
    lo, hi = dtype_range(dtype)
    return lo <= int(values.min()) and int(values.max()) <= hi


def minimal_integer_dtype(values: np.ndarray) -> np.dtype:
    """The narrowest integer dtype holding all values, unsigned first (Deeploy's test-data rule)."""
    for dtype in _MINIMAL_ORDER:
        if fits(values, dtype):
            return dtype
    raise ValueError("values exceed int64")


def to_int64(values: np.ndarray) -> np.ndarray:
    """Exact conversion of whole-number data (e.g. QuantLib's float-typed integers) to int64."""
    values = np.asarray(values)
    if not is_integral(values):
        raise ValueError("holds non-integer values")
    return values.astype(np.int64)


def wrap(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Values as int64 after a C store into `dtype` (two's-complement wrap-around)."""
    return np.asarray(values, dtype=np.int64).astype(dtype).astype(np.int64)


def wrap_int32(values: np.ndarray) -> np.ndarray:
    return wrap(values, np.dtype(np.int32))


def trunc_div(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """C integer division: the quotient rounded toward zero."""
    numerator = np.asarray(numerator, dtype=np.int64)
    denominator = np.asarray(denominator, dtype=np.int64)
    quotient = np.abs(numerator) // np.abs(denominator)
    return np.where((numerator < 0) != (denominator < 0), -quotient, quotient)


def exact_log2(value: int) -> int:
    """log2 of a power of two; ValueError otherwise."""
    if value < 1 or value & (value - 1):
        raise ValueError(f"{value} is not a power of two")
    return value.bit_length() - 1


def plp_isqrt(number: np.ndarray) -> np.ndarray:
    """Integer square root as `_plp_sqrt_q32(fracBits=0)` computes it: a binary search over 0..46342
    with int32 products; floor(sqrt(n)) for 0 < n < 46341**2, and 0 for n <= 0."""
    number = np.asarray(number, dtype=np.int64)
    start = np.zeros_like(number)
    end = np.full_like(number, 46342)
    root = np.zeros_like(number)
    active = number > 0
    while active.any():
        mid = (start + end) >> 1
        square = wrap_int32(mid * mid)
        exact = active & (square == number)
        root = np.where(exact, mid, root)
        active &= ~exact
        below = active & (square < number)
        start = np.where(below, mid + 1, start)
        root = np.where(below, mid, root)
        end = np.where(active & ~below, mid - 1, end)
        active &= start <= end
    return root
