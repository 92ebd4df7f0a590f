"""Integer normalisations: iLayerNorm (`Layernorm_s8_s8`), iRMSNorm (`iRMSnorm_s8_s8`), iNoNorm (`SnitchiNoNorm`)."""

from __future__ import annotations

import numpy as np

from deploy.integers import plp_isqrt, trunc_div, wrap, wrap_int32
from deploy.operators.quantized import ILayerNormAttrs, INoNormAttrs, IRMSNormAttrs

_INT16 = np.dtype(np.int16)


def _std(centered: np.ndarray) -> np.ndarray:
    """isqrt(sum(int16(c)^2) / N + 1) over the last axis, int32 arithmetic."""
    c16 = wrap(centered, _INT16)
    variance = trunc_div(wrap_int32((c16 * c16).sum(axis=-1, keepdims=True)), centered.shape[-1])
    return plp_isqrt(wrap_int32(variance + 1))


def i_layer_norm(attrs: ILayerNormAttrs, x, weight, bias):
    """mean = trunc(sum/N); y = (trunc((x-mean)*w / std) + b) >> log2D in int64; the int8 store wraps (no clamp)."""
    x = np.asarray(x, np.int64)
    mean = trunc_div(wrap_int32(x.sum(axis=-1, keepdims=True)), x.shape[-1])
    std = _std(x - mean)
    weight = np.asarray(weight, np.int64).reshape(-1)
    bias = np.asarray(bias, np.int64).reshape(-1)
    return (trunc_div((x - mean) * weight, std) + bias) >> attrs.log2d


def i_rms_norm(attrs: IRMSNormAttrs, x, weight):
    """y = clamp(trunc(int32(x*w) / std) >> log2D, -128, 127) with std = isqrt(sum(x^2)/N + 1)."""
    x = np.asarray(x, np.int64)
    std = _std(x)
    scaled = wrap_int32(x * np.asarray(weight, np.int64).reshape(-1))
    return np.clip(trunc_div(scaled, std) >> attrs.log2d, -128, 127)


def i_no_norm(attrs: INoNormAttrs, x, weights, bias):
    """y = int32((x*w + b) * mul) >> log2D, no rounding; the int8 store wraps (no clamp)."""
    x = np.asarray(x, np.int64)
    affine = wrap_int32(x * np.asarray(weights, np.int64) + np.asarray(bias, np.int64))
    return wrap_int32(affine * attrs.mul) >> attrs.log2d
