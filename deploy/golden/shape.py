"""Data-movement operators (integer-exact): Transpose, Reshape, Flatten, Squeeze, Unsqueeze, Identity,
Gather, Concat, Slice, Pad. Shape-like operands are constant int64 inputs or (old opsets) attributes."""

from __future__ import annotations

import numpy as np

from deploy.operators import standard as ops


def transpose(attrs: ops.TransposeAttrs, x):
    return np.transpose(x, attrs.perm)


def reshape(attrs: ops.ReshapeAttrs, x, shape):
    target = [int(v) for v in np.asarray(shape).ravel()]
    if not attrs.allowzero:
        target = [x.shape[i] if v == 0 else v for i, v in enumerate(target)]
    return np.reshape(x, target)


def flatten(attrs: ops.FlattenAttrs, x):
    axis = attrs.axis % x.ndim if x.ndim else 0
    return np.reshape(x, (int(np.prod(x.shape[:axis])), -1))


def _axes(attrs, axes_input) -> tuple[int, ...] | None:
    return tuple(int(a) for a in np.asarray(axes_input).ravel()) if axes_input is not None else attrs.axes


def squeeze(attrs: ops.SqueezeAttrs, x, axes=None):
    axes = _axes(attrs, axes)
    return np.squeeze(x, axis=None if axes is None else tuple(a % x.ndim for a in axes))


def unsqueeze(attrs: ops.UnsqueezeAttrs, x, axes=None):
    axes = _axes(attrs, axes)
    rank = x.ndim + len(axes)
    return np.expand_dims(x, tuple(sorted(a % rank for a in axes)))


def identity(attrs: ops.IdentityAttrs, x):
    return x


def gather(attrs: ops.GatherAttrs, x, indices):
    indices = np.asarray(indices, np.int64)
    return np.take(x, np.where(indices < 0, indices + x.shape[attrs.axis], indices), axis=attrs.axis)


def concat(attrs: ops.ConcatAttrs, *inputs):
    return np.concatenate([np.asarray(i, np.int64) for i in inputs], axis=attrs.axis)


def slice_(attrs: ops.SliceAttrs, x, starts=None, ends=None, axes=None, steps=None):
    def values(operand, attribute):
        return [int(v) for v in np.asarray(operand).ravel()] if operand is not None else attribute

    starts, ends = values(starts, attrs.starts), values(ends, attrs.ends)
    axes = values(axes, attrs.axes) or list(range(len(starts)))
    steps = values(steps, None) or [1] * len(starts)
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        index[axis % x.ndim] = slice(start, end, step)
    return x[tuple(index)]


def pad(attrs: ops.PadAttrs, x, pads=None, value=None):
    pads = [int(v) for v in np.asarray(pads).ravel()] if pads is not None else list(attrs.pads)
    if min(pads) < 0:
        raise ValueError("negative pads are not supported")
    fill = int(np.asarray(value).reshape(())) if value is not None else attrs.value
    rank = x.ndim
    return np.pad(np.asarray(x, np.int64), list(zip(pads[:rank], pads[rank:])), constant_values=fill)
