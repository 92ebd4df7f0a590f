"""Standard ONNX operators as Deeploy's integer kernels run them: typed attributes and typing rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from deploy.operators.base import INT32, INT64, AttributeReader, OpAttributes, broadcastable


def _broadcast(shapes: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"shapes {list(shapes)} do not broadcast") from None


@dataclass(frozen=True)
class MatMulAttrs(OpAttributes):
    """Batched int32-accumulating matrix product (numpy/ONNX batch broadcasting)."""

    arity = (2, 2)

    def output_dtype(self, inputs):
        return INT32

    def check_shapes(self, inputs, output) -> None:
        a, b = inputs
        if len(a) < 2 or len(b) < 2:
            raise ValueError(f"operands of rank < 2 ({a}, {b}) are not supported")
        if a[-1] != b[-2]:
            raise ValueError(f"reduction dimensions differ ({a} x {b})")
        _broadcast([a[:-2], b[:-2]])


@dataclass(frozen=True)
class GemmAttrs(OpAttributes):
    """Y = alpha * op(A) @ op(B) + beta * C with integer alpha and beta, int32 arithmetic."""

    alpha: int
    beta: int
    trans_a: bool
    trans_b: bool
    arity = (2, 3)
    constant_dtypes = {2: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> GemmAttrs:
        scales = {name: read.number(name, default=1.0) for name in ("alpha", "beta")}
        for name, value in scales.items():
            if value != int(value):
                raise ValueError(f"attribute '{name}' = {value} is not an integer")
        return cls(
            alpha=int(scales["alpha"]),
            beta=int(scales["beta"]),
            trans_a=read.flag("transA", default=0),
            trans_b=read.flag("transB", default=0),
        )

    def output_dtype(self, inputs):
        return INT32

    def check_shapes(self, inputs, output) -> None:
        a, b = inputs[:2]
        if len(a) != 2 or len(b) != 2:
            raise ValueError(f"operands must be 2-D, got {a} and {b}")
        if a[0 if self.trans_a else 1] != b[1 if self.trans_b else 0]:
            raise ValueError(f"reduction dimensions differ ({a} x {b})")
        if len(inputs) == 3 and not broadcastable(inputs[2], output):
            raise ValueError(f"C of shape {inputs[2]} does not broadcast to {output}")


@dataclass(frozen=True)
class AddAttrs(OpAttributes):
    """Elementwise sum into int32 (broadcasting)."""

    arity = (2, 2)
    constant_dtypes = {0: INT32, 1: INT32}

    def output_dtype(self, inputs):
        return INT32

    def check_shapes(self, inputs, output) -> None:
        _broadcast(inputs)


@dataclass(frozen=True)
class MulAttrs(AddAttrs):
    """Elementwise product into int32 (broadcasting)."""


@dataclass(frozen=True)
class TransposeAttrs(OpAttributes):
    perm: tuple[int, ...] | None

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> TransposeAttrs:
        return cls(perm=read.integers("perm", default=None))


@dataclass(frozen=True)
class ReshapeAttrs(OpAttributes):
    """Target shape from the constant second input (0 copies a dimension unless allowzero, -1 is inferred)."""

    allowzero: bool
    arity = (2, 2)
    constant_dtypes = {1: INT64}
    required_constants = (1,)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ReshapeAttrs:
        return cls(allowzero=read.flag("allowzero", default=0))


@dataclass(frozen=True)
class FlattenAttrs(OpAttributes):
    axis: int

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> FlattenAttrs:
        return cls(axis=read.integer("axis", default=1))


@dataclass(frozen=True)
class SqueezeAttrs(OpAttributes):
    """Axes from the attribute (opset < 13) or the constant second input."""

    axes: tuple[int, ...] | None
    arity = (1, 2)
    constant_dtypes = {1: INT64}
    required_constants = (1,)

    @classmethod
    def from_attributes(cls, read: AttributeReader):
        return cls(axes=read.integers("axes", default=None))


@dataclass(frozen=True)
class UnsqueezeAttrs(SqueezeAttrs):
    pass


@dataclass(frozen=True)
class IdentityAttrs(OpAttributes):
    pass


@dataclass(frozen=True)
class GatherAttrs(OpAttributes):
    """Take along `axis` with constant indices."""

    axis: int
    arity = (2, 2)
    constant_dtypes = {1: INT64}
    required_constants = (1,)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> GatherAttrs:
        return cls(axis=read.integer("axis", default=0))


@dataclass(frozen=True)
class ConcatAttrs(OpAttributes):
    axis: int
    arity = (1, 1024)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ConcatAttrs:
        return cls(axis=read.integer("axis"))

    def output_dtype(self, inputs):
        return np.result_type(*inputs)


@dataclass(frozen=True)
class SliceAttrs(OpAttributes):
    """starts/ends/axes/steps from attributes (opset < 10) or constant inputs 2..5."""

    starts: tuple[int, ...] | None
    ends: tuple[int, ...] | None
    axes: tuple[int, ...] | None
    arity = (1, 5)
    constant_dtypes = {1: INT64, 2: INT64, 3: INT64, 4: INT64}
    required_constants = (1, 2, 3, 4)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> SliceAttrs:
        return cls(
            starts=read.integers("starts", default=None),
            ends=read.integers("ends", default=None),
            axes=read.integers("axes", default=None),
        )


@dataclass(frozen=True)
class PadAttrs(OpAttributes):
    """Constant padding; pads/value from attributes (opset < 11) or constant inputs 2..3."""

    pads: tuple[int, ...] | None
    value: int
    arity = (1, 3)
    constant_dtypes = {1: INT64}
    required_constants = (1, 2)

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> PadAttrs:
        mode = read.text("mode", default="constant")
        if mode != "constant":
            raise ValueError(f"pad mode '{mode}' is not supported")
        return cls(pads=read.integers("pads", default=None), value=read.integer("value", default=0))


def _spatial_attrs(read: AttributeReader) -> dict:
    auto_pad = read.text("auto_pad", default="NOTSET")
    if auto_pad != "NOTSET":
        raise ValueError(f"auto_pad '{auto_pad}' is not supported")
    return dict(
        kernel_shape=read.integers("kernel_shape", default=None),
        strides=read.integers("strides", default=None),
        pads=read.integers("pads", default=None),
        dilations=read.integers("dilations", default=None),
    )


@dataclass(frozen=True)
class ConvAttrs(OpAttributes):
    """N-d grouped convolution, int32 accumulation; None means the ONNX default."""

    kernel_shape: tuple[int, ...] | None
    strides: tuple[int, ...] | None
    pads: tuple[int, ...] | None
    dilations: tuple[int, ...] | None
    group: int
    arity = (2, 3)
    constant_dtypes = {2: INT32}

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> ConvAttrs:
        return cls(**_spatial_attrs(read), group=read.integer("group", default=1))

    def output_dtype(self, inputs):
        return INT32

    def check_shapes(self, inputs, output) -> None:
        x, w = inputs[:2]
        if len(x) != len(w) or len(x) < 3 or x[1] != w[1] * self.group or w[0] % self.group:
            raise ValueError(f"input {x} and weight {w} do not match (group {self.group})")


@dataclass(frozen=True)
class MaxPoolAttrs(OpAttributes):
    """N-d max pooling with floor output size (ceil_mode 0); one output."""

    kernel_shape: tuple[int, ...]
    strides: tuple[int, ...] | None
    pads: tuple[int, ...] | None
    dilations: tuple[int, ...] | None

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> MaxPoolAttrs:
        if read.flag("ceil_mode", default=0):
            raise ValueError("ceil_mode 1 is not supported")
        attrs = _spatial_attrs(read)
        if attrs["kernel_shape"] is None:
            raise ValueError("attribute 'kernel_shape' is missing")
        return cls(**attrs)


STANDARD_OPERATORS: dict[str, type[OpAttributes]] = {
    "MatMul": MatMulAttrs,
    "Gemm": GemmAttrs,
    "Add": AddAttrs,
    "Mul": MulAttrs,
    "Transpose": TransposeAttrs,
    "Reshape": ReshapeAttrs,
    "Flatten": FlattenAttrs,
    "Squeeze": SqueezeAttrs,
    "Unsqueeze": UnsqueezeAttrs,
    "Identity": IdentityAttrs,
    "Gather": GatherAttrs,
    "Concat": ConcatAttrs,
    "Slice": SliceAttrs,
    "Pad": PadAttrs,
    "Conv": ConvAttrs,
    "MaxPool": MaxPoolAttrs,
}
