"""MatMul and Gemm as `MatMul_s8_s8_s32` / `Gemm_s8_s8_s32_s32` compute them: int32 accumulation (wraps)."""

from __future__ import annotations

import numpy as np

from deploy.integers import wrap_int32
from deploy.operators.standard import GemmAttrs, MatMulAttrs


def matmul(attrs: MatMulAttrs, a, b):
    return wrap_int32(np.matmul(np.asarray(a, np.int64), np.asarray(b, np.int64)))


def gemm(attrs: GemmAttrs, a, b, c=None):
    """Y = alpha * op(A) @ op(B) + beta * C, every step in int32; C broadcasts to Y."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    product = wrap_int32((a.T if attrs.trans_a else a) @ (b.T if attrs.trans_b else b))
    bias = 0 if c is None else wrap_int32(attrs.beta * np.asarray(c, np.int64))
    return wrap_int32(attrs.alpha * product + bias)
