"""ITAMax, ITA's streaming integer softmax (reference/ita.md section 5), and its named variants.

Input: int8 logits (the requantized QK output), softmax over the last axis. Output: uint8
probabilities, ~ out/255 (out/127 for DEEPLOY_ITAPARTIALMAX). Deeploy's sign-propagating platforms
store these as out - 128; that offset is a storage convention and is not applied here.

Stage 1 (while QK^T streams out, one group of 16 columns per cycle), per row, from max = init:
  cur = max(group); if cur > max: shift_sum = shift(cur - max), max = cur, else shift_sum = 0
  sum = (sum >> shift_sum) + sum_j (256 >> shift(max - x_j))
Division: inv = numerator // sum.        Stage 2 (during AV): out_j = inv >> shift(max - x_j).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

GROUP = 16  # columns per stage-1 step: one per dot-product unit
SOFTMAX_SCALAR = 65280  # (2**8 - 1) * 2**8, `SoftmaxScalar` of the RTL


class SoftmaxVariant(Enum):
    """The implementations of ita.md section 5.2's table. Only ITA_PAPER is the simulated ITA."""

    ITA_PAPER = "ita-paper"  # RTL Aug-Nov 2024: shift = (diff + 16) >> 5, streaming, init -128
    ITA_CURRENT = "ita-current"  # RTL/PyITA from commit 39236c9: shift = diff, no rounding
    DEEPLOY_ITAMAX = "deeploy-itamax"  # Deeploy ITAMax_s8 = QuantLib PACTIntegerITAMax: whole-row max
    DEEPLOY_ITAPARTIALMAX = "deeploy-itapartialmax"  # streaming, init -128, numerator 127*256
    QUANTLIB_ITAPARTIALMAX = "quantlib-itapartialmax"  # streaming, init -127, numerator 255*256


@dataclass(frozen=True)
class VariantSpec:
    streaming: bool  # 16-column groups with a running max, or the row max at once
    init_max: int  # running max before the first group (streaming only)
    numerator: int  # inv = numerator // sum
    eps_shift: int  # shift(d) = (d + 2**(eps_shift-1)) >> eps_shift; 0 means shift(d) = d


SPECS = {
    SoftmaxVariant.ITA_PAPER: VariantSpec(True, -128, SOFTMAX_SCALAR, 5),
    SoftmaxVariant.ITA_CURRENT: VariantSpec(True, -128, SOFTMAX_SCALAR, 0),
    SoftmaxVariant.DEEPLOY_ITAMAX: VariantSpec(False, -128, SOFTMAX_SCALAR, 5),
    SoftmaxVariant.DEEPLOY_ITAPARTIALMAX: VariantSpec(True, -128, 127 * 256, 5),
    # QuantLib runs ita_sequence_length/16 groups; we assume the row is that long (its only use).
    SoftmaxVariant.QUANTLIB_ITAPARTIALMAX: VariantSpec(True, -127, SOFTMAX_SCALAR, 5),
}


def softmax_shift(diff, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER) -> np.ndarray:
    """shift(diff) for diff = max - x >= 0; the RTL's (diff >> 5) + diff[4] is (diff + 16) >> 5."""
    diff = np.asarray(diff, dtype=np.int64)
    e = SPECS[variant].eps_shift
    s = (diff + (1 << (e - 1))) >> e if e else diff
    return np.minimum(s, 62)  # 256 >> 62 == 0 like any larger shift; keeps numpy shifts defined


def _logits(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 0 or (x.size and (x.min() < -128 or x.max() > 127)):
        raise ValueError("ITAMax: logits must be an int8 array with a row axis")
    return x.astype(np.int64)


def itamax_denominator(x, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER):
    """Stage 1 and the division: per row (max, inv), each shaped like x without its last axis."""
    x, spec = _logits(x), SPECS[variant]
    if spec.streaming:
        if x.shape[-1] % GROUP:
            raise ValueError(f"ITAMax ({variant.value}): row length {x.shape[-1]} is not a multiple of {GROUP}")
        gmax = np.full(x.shape[:-1], spec.init_max, dtype=np.int64)
        total = np.zeros(x.shape[:-1], dtype=np.int64)
        for g in range(0, x.shape[-1], GROUP):
            blk = x[..., g : g + GROUP]
            cur = blk.max(axis=-1)
            grew = cur > gmax
            shift_sum = np.where(grew, softmax_shift(cur - gmax, variant), 0)
            gmax = np.where(grew, cur, gmax)
            exp = (256 >> softmax_shift(gmax[..., None] - blk, variant)).sum(axis=-1)
            total = (total >> shift_sum) + exp
    else:
        gmax = x.max(axis=-1)
        total = (256 >> softmax_shift(gmax[..., None] - x, variant)).sum(axis=-1)
    # The row's maximum contributes 256 and is never shifted afterwards: total >= 256, inv <= 255.
    return gmax, spec.numerator // total


def itamax_normalize(x, gmax, inv, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER) -> np.ndarray:
    """Stage 2: out = inv >> shift(max - x), uint8."""
    x = _logits(x)
    gmax, inv = np.asarray(gmax, dtype=np.int64), np.asarray(inv, dtype=np.int64)
    return (inv[..., None] >> softmax_shift(gmax[..., None] - x, variant)).astype(np.uint8)


def itamax(x, variant: SoftmaxVariant = SoftmaxVariant.ITA_PAPER) -> np.ndarray:
    """Integer softmax of int8 logits over the last axis, as `variant` computes it (uint8)."""
    gmax, inv = itamax_denominator(x, variant)
    return itamax_normalize(x, gmax, inv, variant)
