"""Elementwise integer operators with numpy/ONNX broadcasting: Add, Mul (int32) and IntegerDiv (`Div_s32_s32`)."""

from __future__ import annotations

import numpy as np

from deploy.integers import trunc_div, wrap_int32
from deploy.operators.quantized import IntegerDivAttrs
from deploy.operators.standard import AddAttrs, MulAttrs


def add(attrs: AddAttrs, a, b):
    return wrap_int32(np.asarray(a, np.int64) + np.asarray(b, np.int64))


def mul(attrs: MulAttrs, a, b):
    return wrap_int32(np.asarray(a, np.int64) * np.asarray(b, np.int64))


def integer_div(attrs: IntegerDivAttrs, numerator, denominator):
    """y = int32(trunc((n*Delta*eta + sgn(n)*(d'>>1)) / d')) with d' = d*eta + eps, i.e. round half away
    from zero; Delta*eta is an int32 product, the rest int64."""
    scale = int(wrap_int32(np.int64(attrs.delta) * attrs.eta))
    nom = np.asarray(numerator, np.int64) * scale
    denom = np.asarray(denominator, np.int64) * attrs.eta + attrs.eps
    if np.any(denom == 0):
        raise ValueError("division by zero")
    sign = np.where(nom >= 0, 1, -1)
    return wrap_int32(trunc_div(nom + sign * (denom >> 1), denom))
