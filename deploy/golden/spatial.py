"""Sliding-window operators over N-d NCHW data: Conv (int32 accumulation) and MaxPool."""

from __future__ import annotations

import itertools

import numpy as np

from deploy.integers import wrap_int32
from deploy.operators.standard import ConvAttrs, MaxPoolAttrs


def _windows(x: np.ndarray, kernel, strides, pads, dilations, fill: int):
    """Yield (kernel offset, strided view (N, C, *out)) for every kernel position; `x` is padded with `fill`."""
    rank = len(kernel)
    strides = strides or (1,) * rank
    dilations = dilations or (1,) * rank
    pads = pads or (0,) * (2 * rank)
    padded = np.pad(x, [(0, 0), (0, 0), *zip(pads[:rank], pads[rank:])], constant_values=fill)
    out = [(padded.shape[2 + i] - dilations[i] * (kernel[i] - 1) - 1) // strides[i] + 1 for i in range(rank)]
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offset, dilations, strides, out)
        )
        yield offset, padded[(slice(None), slice(None), *index)]


def conv(attrs: ConvAttrs, x, weight, bias=None):
    """Grouped convolution with zero padding; out = sum(x * w) (+ bias), int32."""
    x = np.asarray(x, np.int64)
    weight = np.asarray(weight, np.int64)
    groups, filters = attrs.group, weight.shape[0]
    kernel = attrs.kernel_shape or weight.shape[2:]
    total = None
    for offset, window in _windows(x, kernel, attrs.strides, attrs.pads, attrs.dilations, 0):
        n, c, *spatial = window.shape
        grouped = window.reshape(n, groups, c // groups, *spatial)
        taps = weight[(slice(None), slice(None), *offset)].reshape(groups, filters // groups, c // groups)
        term = np.einsum("ngc...,gfc->ngf...", grouped, taps).reshape(n, filters, *spatial)
        total = term if total is None else total + term
    if bias is not None:
        total = total + np.asarray(bias, np.int64).reshape(1, -1, *([1] * len(kernel)))
    return wrap_int32(total)


def max_pool(attrs: MaxPoolAttrs, x):
    lowest = np.iinfo(np.asarray(x).dtype).min
    x = np.asarray(x, np.int64)
    result = None
    for _, window in _windows(x, attrs.kernel_shape, attrs.strides, attrs.pads, attrs.dilations, lowest):
        result = window if result is None else np.maximum(result, window)
    return result
