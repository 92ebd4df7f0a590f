"""Deeploy/QuantLib integer operators (custom ONNX ops): typed attributes and typing rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deploy.integers import exact_log2
from deploy.operators.base import INT8, INT32, AttributeReader, OpAttributes, broadcastable, quantized_dtype


def _log2(value: int, name: str) -> int:
    try:
        return exact_log2(value)
    except ValueError:
        raise ValueError(f"attribute '{name}' = {value} is not a power of two") from None


@dataclass(frozen=True)
class RequantShiftAttrs(OpAttributes):
    """y = clip((x*mul + add + 2^(log2D-1)) >> log2D) to n_levels levels, signed or not."""

    log2d: int
    n_levels: int
    signed: bool
    arity = (3, 3)
    constant_dtypes = {1: INT32, 2: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> RequantShiftAttrs:
        return cls(
            log2d=_log2(read.integer("div"), "div"),
            n_levels=read.integer("n_levels", "n_levels_out"),
            signed=read.flag("signed"),
        )

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, self.signed)

    def check_shapes(self, inputs, output) -> None:
        for role, shape in zip(("mul", "add"), inputs[1:]):
            if not broadcastable(shape, inputs[0]):
                raise ValueError(f"{role} of shape {shape} does not broadcast to the input {inputs[0]}")


@dataclass(frozen=True)
class ISoftmaxAttrs(OpAttributes):
    """I-BERT softmax over the last axis; result unsigned in 0..n_levels-1."""

    coeff_a: int
    coeff_b: int
    coeff_c: int
    log2: int
    n_levels: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ISoftmaxAttrs:
        return cls(
            coeff_a=read.integer("coeffA"),
            coeff_b=read.integer("coeffB"),
            coeff_c=read.integer("coeffC"),
            log2=read.integer("log2"),
            n_levels=read.integer("n_levels"),
        )

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=False)


@dataclass(frozen=True)
class ITAMaxAttrs(OpAttributes):
    """ITA softmax over the last axis (shift-based exponent); result unsigned."""

    n_levels: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ITAMaxAttrs:
        return cls(n_levels=read.integer("n_levels"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=False)


@dataclass(frozen=True)
class ITAPartialMaxAttrs(OpAttributes):
    """ITA streaming softmax over the last axis in groups of `group_width` columns."""

    n_levels: int
    group_width: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ITAPartialMaxAttrs:
        return cls(n_levels=read.integer("n_levels"), group_width=read.integer("group_width", default=16))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=False)


def _check_last_axis_parameters(inputs, names: Sequence[str]) -> None:
    last = inputs[0][-1:]
    for name, shape in zip(names, inputs[1:]):
        if int(np.prod(shape)) != last[0]:
            raise ValueError(f"{name} of shape {shape} does not match the last axis {last[0]}")


@dataclass(frozen=True)
class ILayerNormAttrs(OpAttributes):
    """Integer layer norm over the last axis with int32 weight and bias pre-scaled by D."""

    log2d: int
    n_levels: int
    arity = (3, 3)
    constant_dtypes = {1: INT32, 2: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ILayerNormAttrs:
        return cls(log2d=_log2(read.integer("D"), "D"), n_levels=read.integer("n_levels"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=True)

    def check_shapes(self, inputs, output) -> None:
        _check_last_axis_parameters(inputs, ("weight", "bias"))


@dataclass(frozen=True)
class IRMSNormAttrs(OpAttributes):
    """Integer RMS norm over the last axis with one int32 weight pre-scaled by D."""

    log2d: int
    n_levels: int
    arity = (2, 2)
    constant_dtypes = {1: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> IRMSNormAttrs:
        return cls(log2d=_log2(read.integer("D"), "D"), n_levels=read.integer("n_levels"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=True)

    def check_shapes(self, inputs, output) -> None:
        _check_last_axis_parameters(inputs, ("weight",))


@dataclass(frozen=True)
class INoNormAttrs(OpAttributes):
    """y = ((x*weights + bias) * mul) >> log2D, elementwise int8 weights, no rounding, no clamp."""

    log2d: int
    mul: int
    n_levels: int
    arity = (3, 3)
    constant_dtypes = {1: INT8, 2: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> INoNormAttrs:
        return cls(log2d=_log2(read.integer("D"), "D"), mul=read.integer("mul"), n_levels=read.integer("n_levels"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return quantized_dtype(self.n_levels, signed=True)

    def check_shapes(self, inputs, output) -> None:
        for name, shape in zip(("weights", "bias"), inputs[1:]):
            if not broadcastable(shape, inputs[0]):
                raise ValueError(f"{name} of shape {shape} does not broadcast to the input {inputs[0]}")


@dataclass(frozen=True)
class IGELUAttrs(OpAttributes):
    """I-BERT GELU polynomial; int32 result."""

    b: int
    one: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> IGELUAttrs:
        return cls(b=read.integer("b"), one=read.integer("one"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return INT32


@dataclass(frozen=True)
class IHardswishAttrs(OpAttributes):
    """y = x * clip(x + three, 0, six) * one_over_six; int32 result."""

    one_over_six: int
    six: int
    three: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> IHardswishAttrs:
        return cls(
            one_over_six=read.integer("one_over_six"), six=read.integer("six"), three=read.integer("three")
        )

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return INT32


@dataclass(frozen=True)
class IntegerMeanAttrs(OpAttributes):
    """Rounded integer mean over `axes` (Deeploy's ReduceMean template)."""

    axes: tuple[int, ...]
    keepdims: bool

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> IntegerMeanAttrs:
        return cls(axes=read.integers("axes"), keepdims=read.flag("keepdims", default=1))


@dataclass(frozen=True)
class IntegerDivAttrs(OpAttributes):
    """y = round_half_away(x*Delta*eta / (d*eta + eps)); int32 result."""

    delta: int
    eps: int
    eta: int
    arity = (2, 2)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> IntegerDivAttrs:
        return cls(delta=read.integer("Delta"), eps=read.integer("eps"), eta=read.integer("eta"))

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return INT32

    def check_shapes(self, inputs, output) -> None:
        if not broadcastable(inputs[1], inputs[0]):
            raise ValueError(f"denominator of shape {inputs[1]} does not broadcast to {inputs[0]}")


QUANTIZED_OPERATORS: dict[str, type[OpAttributes]] = {
    "RequantShift": RequantShiftAttrs,
    "iSoftmax": ISoftmaxAttrs,
    "ITAMax": ITAMaxAttrs,
    "ITAPartialMax": ITAPartialMaxAttrs,
    "iLayerNorm": ILayerNormAttrs,
    "iRMSNorm": IRMSNormAttrs,
    "iNoNorm": INoNormAttrs,
    "iGELU": IGELUAttrs,
    "iHardswish": IHardswishAttrs,
    "IntegerMean": IntegerMeanAttrs,
    "IntegerDiv": IntegerDivAttrs,
}
