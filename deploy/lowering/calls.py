"""Kernel calls with concrete parameters: one frozen dataclass per C kernel of firmware/kernels/
(and the two deploy-side kernels of deploy/csrc/).

A call names its tensors by graph tensor name; code generation turns each name into a typed C
pointer (`ref`) once memory is allocated. A kernel call runs on every compute core with the same
arguments plus `core, cores` (the kernels' parallel contract, firmware/kernels/kernels.h); the
calls of one step are followed by a hardware barrier.

Each call class says:
- `function`: the C function it calls;
- `runs_on`: which harts make the call: COMPUTE_CORES (every compute core, the kernels' parallel
  contract; all calls today), CORE0 (one core: e.g. programming an ITA job) or DM_CORE (the DMA
  core: transfers, once the DMA engine exists);
- `reads()` / `writes()`: the tensors it reads / writes (for lifetimes and checks);
- `in_place()`: (output, input) pairs the kernel allows to share one buffer (kernels.h: RequantShift
  s8/u8, iNoNorm, Add s32s32 with out == a, the residual kernel with out == a or b);
- `macs`: multiply-accumulates (MatMul, Gemm; Conv through its Gemm);
- `arguments(ref)`: the C argument expressions before `core, cores`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

COMPUTE_CORES = "compute cores"
CORE0 = "core 0"
DM_CORE = "dm core"

Ref = Callable[[str], str]
"""Tensor name -> C pointer expression of its buffer (typed as the tensor's element type)."""


def c_int(value: int) -> str:
    """A C integer literal; INT32_MIN needs the expression form."""
    value = int(value)
    if value == -(2**31):
        return "(-2147483647 - 1)"
    return str(value)


def c_array(ctype: str, values) -> str:
    """A compound literal holding small parameter arrays (shapes, permutations, indices)."""
    return f"(const {ctype}[]){{{', '.join(c_int(v) for v in values)}}}"


@dataclass(frozen=True)
class KernelCall:
    function: ClassVar[str] = ""
    runs_on: ClassVar[str] = COMPUTE_CORES

    @property
    def macs(self) -> int:
        return 0

    def reads(self) -> tuple[str, ...]:
        raise NotImplementedError

    def writes(self) -> tuple[str, ...]:
        raise NotImplementedError

    def in_place(self) -> tuple[tuple[str, str], ...]:
        return ()

    def arguments(self, ref: Ref) -> list[str]:
        raise NotImplementedError

    def kernel_name(self) -> str:
        return self.function

    def unwrapped(self) -> KernelCall:
        """The kernel call itself (a tiled call, deploy/tiling.py, wraps one)."""
        return self

    def render(self, ref: Ref) -> str:
        return f"{self.kernel_name()}({', '.join([*self.arguments(ref), 'core', 'cores'])});"


class OneInOneOutCall(KernelCall):
    """A kernel that reads the tensor in field `x` and writes the one in field `y`."""

    def reads(self):
        return (self.x,)

    def writes(self):
        return (self.y,)


# ------------------------------------------------------------------ linear


@dataclass(frozen=True)
class MatMulCall(KernelCall):
    """kernel_matmul_{s8s8,u8s8}: y[b] = a[b] @ b[b], a m x k, b k x n; batch strides 0 broadcast."""

    a: str
    b: str
    y: str
    batch: int
    m: int
    n: int
    k: int
    a_batch_stride: int
    b_batch_stride: int
    a_unsigned: bool

    def kernel_name(self) -> str:
        return "kernel_matmul_u8s8" if self.a_unsigned else "kernel_matmul_s8s8"

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.n * self.k

    def reads(self):
        return (self.a, self.b)

    def writes(self):
        return (self.y,)

    def arguments(self, ref):
        return [ref(self.a), ref(self.b), ref(self.y), *map(c_int, (self.batch, self.m, self.n, self.k)),
                c_int(self.a_batch_stride), c_int(self.b_batch_stride)]  # fmt: skip


@dataclass(frozen=True)
class GemmCall(KernelCall):
    """kernel_gemm_s8s8: y = alpha * op(a) @ op(b) + beta * c[i*c_row_stride + j*c_col_stride].

    `a_offset` / `b_offset` / `y_offset` (elements) let one call work on one image of a batch."""

    function: ClassVar[str] = "kernel_gemm_s8s8"
    a: str
    b: str
    c: str | None
    y: str
    m: int
    n: int
    k: int
    trans_a: bool = False
    trans_b: bool = False
    alpha: int = 1
    beta: int = 1
    c_row_stride: int = 0
    c_col_stride: int = 0
    a_offset: int = 0
    b_offset: int = 0
    y_offset: int = 0

    @property
    def macs(self) -> int:
        return self.m * self.n * self.k

    def reads(self):
        return (self.a, self.b) + ((self.c,) if self.c else ())

    def writes(self):
        return (self.y,)

    def arguments(self, ref):
        def at(name, offset):
            return ref(name) if not offset else f"{ref(name)} + {offset}"

        return [at(self.a, self.a_offset), at(self.b, self.b_offset), ref(self.c) if self.c else "0",
                at(self.y, self.y_offset), *map(c_int, (self.m, self.n, self.k, self.trans_a, self.trans_b, self.alpha,
                self.beta, self.c_row_stride, self.c_col_stride))]  # fmt: skip


# ------------------------------------------------------------------ elementwise


@dataclass(frozen=True)
class RequantShiftCall(KernelCall):
    """kernel_requant_shift_{s32,s8,u8}: mul/add indexed (i / inner) % len."""

    x: str
    y: str
    x_kind: str  # "s32", "s8", "u8"
    size: int
    mul: str
    mul_len: int
    add: str
    add_len: int
    inner: int
    log2d: int
    n_levels: int
    signed: bool

    def kernel_name(self) -> str:
        return f"kernel_requant_shift_{self.x_kind}"

    def reads(self):
        return (self.x, self.mul, self.add)

    def writes(self):
        return (self.y,)

    def in_place(self):
        return ((self.y, self.x),) if self.x_kind in ("s8", "u8") else ()

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), c_int(self.size), ref(self.mul), c_int(self.mul_len), ref(self.add),
                c_int(self.add_len), c_int(self.inner), c_int(self.log2d), c_int(self.n_levels), c_int(self.signed)]  # fmt: skip


@dataclass(frozen=True)
class AddCall(KernelCall):
    """kernel_add_{s8s8,s8u8,u8u8,s32s32}: out[i] = a[i] + b[i % b_len] (int32)."""

    a: str
    b: str
    y: str
    variant: str  # "s8s8", "s8u8", "u8u8", "s32s32"
    size: int
    b_len: int

    def kernel_name(self) -> str:
        return f"kernel_add_{self.variant}"

    def reads(self):
        return (self.a, self.b)

    def writes(self):
        return (self.y,)

    def in_place(self):
        return ((self.y, self.a),) if self.variant == "s32s32" and self.a != self.b else ()

    def arguments(self, ref):
        return [ref(self.a), ref(self.b), ref(self.y), c_int(self.size), c_int(self.b_len)]


@dataclass(frozen=True)
class ResidualCall(KernelCall):
    """kernel_residual_requant_lut: y = RQ_y(RQ_a(a) + RQ_b(b)) [then iNoNorm], the residual group
    of deploy/lowering/residual.py, with the three per-tensor requantizations as constant tables
    (deploy/lowering/residual_tables.py): `table_a`, `table_b` uint8[256] indexed by the operands'
    bytes, `table_y` int8 indexed by the sum of their entries. `norm_w` None: no iNoNorm; else
    `norm_w` / `norm_b` are int32 weight*mul / bias*mul, indexed i % w_len, i % b_len."""

    function: ClassVar[str] = "kernel_residual_requant_lut"
    a: str
    b: str
    y: str
    size: int
    table_a: str
    table_b: str
    table_y: str
    norm_w: str | None = None
    w_len: int = 1
    norm_b: str | None = None
    b_len: int = 1
    norm_log2d: int = 0

    def reads(self):
        tables = (self.table_a, self.table_b, self.table_y)
        return (self.a, self.b, *tables) + ((self.norm_w, self.norm_b) if self.norm_w else ())

    def writes(self):
        return (self.y,)

    def in_place(self):
        # element i of a and b is read before element i of y is written; both are byte tensors
        return ((self.y, self.a), (self.y, self.b)) if self.a != self.b else ()

    def arguments(self, ref):
        norm = [ref(self.norm_w), c_int(self.w_len), ref(self.norm_b), c_int(self.b_len)] if self.norm_w else ["0", "1", "0", "1"]
        return [ref(self.a), ref(self.b), ref(self.y), c_int(self.size), ref(self.table_a), ref(self.table_b),
                ref(self.table_y), *norm, c_int(self.norm_log2d)]  # fmt: skip


@dataclass(frozen=True)
class GeluCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_igelu_s8s32"
    x: str
    y: str
    size: int
    b: int
    one: int

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), c_int(self.size), f"(int8_t){c_int(self.b)}", f"(int16_t){c_int(self.one)}"]


@dataclass(frozen=True)
class HardswishCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_ihardswish_s8s32"
    x: str
    y: str
    size: int
    one_over_six: int
    six: int
    three: int

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.size, self.one_over_six, self.six, self.three))]


# ------------------------------------------------------------------ softmaxes
# `out_xor` 0x80 stores q ^ 0x80, the int8 q - 128, for an ITA step that reads the probabilities
# signed (deploy/lowering/ita.py sets it when that step is their only reader).


@dataclass(frozen=True)
class ISoftmaxCall(KernelCall):
    """kernel_isoftmax_s8u8; `scratch` holds MAX_CORES * n words (or None)."""

    function: ClassVar[str] = "kernel_isoftmax_s8u8"
    x: str
    y: str
    rows: int
    n: int
    coeff_a: int
    coeff_b: int
    coeff_c: int
    log2: int
    n_levels: int
    scratch: str | None
    out_xor: int = 0

    def reads(self):
        return (self.x,)

    def writes(self):
        return (self.y,) + ((self.scratch,) if self.scratch else ())

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.rows, self.n, self.coeff_a, self.coeff_b, self.coeff_c,
                self.log2, self.n_levels)), ref(self.scratch) if self.scratch else "0", c_int(self.out_xor)]  # fmt: skip


@dataclass(frozen=True)
class ITAMaxCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_itamax_s8u8"
    x: str
    y: str
    rows: int
    n: int
    n_levels: int
    out_xor: int = 0

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.rows, self.n, self.n_levels, self.out_xor))]


@dataclass(frozen=True)
class ITAPartialMaxCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_itapartialmax_s8u8"
    x: str
    y: str
    rows: int
    n: int
    group_width: int
    n_levels: int
    out_xor: int = 0

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.rows, self.n, self.group_width, self.n_levels, self.out_xor))]


# ------------------------------------------------------------------ normalisations, reductions


@dataclass(frozen=True)
class LayerNormCall(KernelCall):
    x: str
    weight: str
    bias: str
    y: str
    rows: int
    n: int
    log2d: int
    x_unsigned: bool

    def kernel_name(self) -> str:
        return "kernel_ilayernorm_u8" if self.x_unsigned else "kernel_ilayernorm_s8"

    def reads(self):
        return (self.x, self.weight, self.bias)

    def writes(self):
        return (self.y,)

    def arguments(self, ref):
        return [ref(self.x), ref(self.weight), ref(self.bias), ref(self.y), *map(c_int, (self.rows, self.n, self.log2d))]


@dataclass(frozen=True)
class RMSNormCall(KernelCall):
    function: ClassVar[str] = "kernel_irmsnorm_s8"
    x: str
    weight: str
    y: str
    rows: int
    n: int
    log2d: int

    def reads(self):
        return (self.x, self.weight)

    def writes(self):
        return (self.y,)

    def arguments(self, ref):
        return [ref(self.x), ref(self.weight), ref(self.y), *map(c_int, (self.rows, self.n, self.log2d))]


@dataclass(frozen=True)
class NoNormCall(KernelCall):
    function: ClassVar[str] = "kernel_inonorm_s8"
    x: str
    weights: str
    w_len: int
    bias: str
    b_len: int
    y: str
    size: int
    mul: int
    log2d: int

    def reads(self):
        return (self.x, self.weights, self.bias)

    def writes(self):
        return (self.y,)

    def in_place(self):
        return ((self.y, self.x),)

    def arguments(self, ref):
        return [ref(self.x), ref(self.weights), c_int(self.w_len), ref(self.bias), c_int(self.b_len), ref(self.y),
                *map(c_int, (self.size, self.mul, self.log2d))]  # fmt: skip


@dataclass(frozen=True)
class MeanCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_integer_mean_s8"
    x: str
    y: str
    outer: int
    reduce_len: int
    inner: int
    keepdims: bool

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.outer, self.reduce_len, self.inner, self.keepdims))]


# ------------------------------------------------------------------ data movement


@dataclass(frozen=True)
class TransposeCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_transpose"
    x: str
    y: str
    in_shape: tuple[int, ...]
    perm: tuple[int, ...]
    elem_size: int

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), c_int(len(self.perm)), c_array("uint32_t", self.in_shape),
                c_array("uint32_t", self.perm), c_int(self.elem_size)]  # fmt: skip


@dataclass(frozen=True)
class GatherCall(OneInOneOutCall):
    function: ClassVar[str] = "kernel_gather"
    x: str
    y: str
    indices: tuple[int, ...]
    outer: int
    axis_len: int
    inner: int
    elem_size: int

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), c_array("int32_t", self.indices), c_int(len(self.indices)),
                *map(c_int, (self.outer, self.axis_len, self.inner, self.elem_size))]  # fmt: skip


@dataclass(frozen=True)
class CopyCall(OneInOneOutCall):
    """A parallel byte copy, as kernel_gather of one index over one row of `size` bytes."""

    function: ClassVar[str] = "kernel_gather"
    x: str
    y: str
    size: int

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), c_array("int32_t", (0,)), "1", "1", "1", c_int(self.size), "1"]


# ------------------------------------------------------------------ deploy-side kernels (deploy/csrc)


@dataclass(frozen=True)
class Im2ColCall(KernelCall):
    """deploy_im2col_s8: cols[(c*kh + i)*kw + j][oy*wo + ox] of one NCHW image, zero padding."""

    function: ClassVar[str] = "deploy_im2col_s8"
    x: str
    cols: str
    x_offset: int  # elements: the image's first element
    cols_offset: int  # elements: where this image's columns start
    channels: int
    height: int
    width: int
    kernel: tuple[int, int]
    strides: tuple[int, int]
    pads: tuple[int, int]  # top, left
    dilations: tuple[int, int]
    out_shape: tuple[int, int]

    def reads(self):
        return (self.x,)

    def writes(self):
        return (self.cols,)

    def arguments(self, ref):
        x = ref(self.x) if not self.x_offset else f"{ref(self.x)} + {self.x_offset}"
        cols = ref(self.cols) if not self.cols_offset else f"{ref(self.cols)} + {self.cols_offset}"
        return [x, cols, *map(c_int, (self.channels, self.height, self.width, *self.kernel, *self.strides,
                *self.pads, *self.dilations, *self.out_shape))]  # fmt: skip


@dataclass(frozen=True)
class MaxPoolCall(OneInOneOutCall):
    """deploy_maxpool2d_{s8,u8}: NCHW planes, padding with the type minimum (golden max_pool)."""

    x: str
    y: str
    x_unsigned: bool
    planes: int
    height: int
    width: int
    kernel: tuple[int, int]
    strides: tuple[int, int]
    pads: tuple[int, int]  # top, left
    dilations: tuple[int, int]
    out_shape: tuple[int, int]

    def kernel_name(self) -> str:
        return "deploy_maxpool2d_u8" if self.x_unsigned else "deploy_maxpool2d_s8"

    def arguments(self, ref):
        return [ref(self.x), ref(self.y), *map(c_int, (self.planes, self.height, self.width, *self.kernel,
                *self.strides, *self.pads, *self.dilations, *self.out_shape))]  # fmt: skip


def kind_of(dtype) -> str:
    """'s8' / 'u8' / 's32' for int8 / uint8 / int32, else '' (no kernel takes it)."""
    return {"int8": "s8", "uint8": "u8", "int32": "s32"}.get(str(dtype), "")
