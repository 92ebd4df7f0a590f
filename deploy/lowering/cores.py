"""The "cores" engine: lowering rules that map graph nodes onto calls of the parallel integer
kernels (firmware/kernels/kernels.h, plus im2col and max pooling from deploy/csrc/).

One rule per operator type; a rule returns the barrier-separated steps of its node (or a View
for operators that only reinterpret bytes). A node the kernels cannot run raises a DeployError
naming the node and why (operator without kernel, operand types, layouts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from deploy.errors import DeployError
from deploy.golden.requant import requant_bounds
from deploy.graph import Graph, Node, Tensor
from deploy.lowering import calls as c
from deploy.lowering import residual_tables as tables
from deploy.lowering.fusion import VIEW_OPS, NodeGroup
from deploy.lowering.network import CORES, Layer, LoweredNetwork, Step, View
from deploy.lowering.passes import ADD_VARIANTS, broadcast_pattern, suffix_length
from deploy.lowering.residual import is_residual_group

MAX_CORES = 8
"""Compute cores a cluster can have: per-core scratch buffers are sized for this many."""

INT8, UINT8, INT32 = np.dtype(np.int8), np.dtype(np.uint8), np.dtype(np.int32)


def _prod(values) -> int:
    return int(np.prod(values, dtype=np.int64))


class LoweringContext:
    """What a rule may use: the graph being lowered, and new tensors for scratch buffers."""

    def __init__(self, graph: Graph, network: LoweredNetwork):
        self.graph = graph
        self.network = network

    def tensor(self, name: str) -> Tensor:
        return self.network.tensors[name]

    def new_tensor(self, base: str, shape: tuple[int, ...], dtype, data: np.ndarray | None = None) -> str:
        name, index = base, 1
        while name in self.network.tensors:
            name, index = f"{base}#{index}", index + 1
        dtype = np.dtype(dtype)
        self.network.tensors[name] = Tensor(name, tuple(shape), dtype, None if data is None else data.astype(dtype))
        return name


def fail(node: Node, message: str) -> DeployError:
    return DeployError(f"{node.describe()}: {message}")


def _require(node: Node, tensor: Tensor, allowed: tuple[np.dtype, ...], role: str) -> None:
    if tensor.dtype not in allowed:
        names = " or ".join(str(d) for d in allowed)
        raise fail(node, f"{role} '{tensor.name}' is {tensor.dtype}; the cores' kernels take {names}")


Rule = Callable[[LoweringContext, Node], "list[Step] | View"]


# ------------------------------------------------------------------ linear


def _batch_stride(node: Node, shape: tuple[int, ...], out_batch: tuple[int, ...], matrix: int) -> int:
    dims = shape[:-2]
    if _prod(dims) == 1:
        return 0
    padded = (1,) * (len(out_batch) - len(dims)) + tuple(dims)
    if padded == tuple(out_batch):
        return matrix
    raise fail(node, f"batch dimensions {shape[:-2]} broadcast to {out_batch} partially; the kernel takes full or shared batches")


def _bias_strides(bias: Tensor, out_shape: tuple[int, ...], m: int, n: int) -> tuple[int, int] | None:
    """(c_row_stride, c_col_stride) of kernel_gemm_s8s8 for `bias` broadcast to an m x n result."""
    if bias.size == 1:
        return 0, 0
    if suffix_length(bias.shape, out_shape) == n:
        return 0, 1
    if bias.size == m * n:
        return n, 1
    pattern = broadcast_pattern(bias.shape, out_shape)
    if pattern == (m, n):
        return 1, 0
    return None


def lower_matmul(ctx: LoweringContext, node: Node, bias_add: Node | None = None) -> list[Step]:
    """MatMul -> kernel_matmul_{s8s8,u8s8}; with the Add of a bias -> kernel_gemm_s8s8 with c.
    Batches that share B are folded into the rows (one m = batch*M product)."""
    a, b = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    _require(node, a, (INT8, UINT8), "A")
    _require(node, b, (INT8,), "B")
    (rows, k), n = a.shape[-2:], b.shape[-1]
    out_batch = y.shape[:-2]
    batch = _prod(out_batch)
    stride_a = _batch_stride(node, a.shape, out_batch, rows * k)
    stride_b = _batch_stride(node, b.shape, out_batch, k * n)
    m = rows
    if stride_b == 0 and (stride_a != 0 or batch == 1):
        m, batch, stride_a = batch * rows, 1, 0
    if bias_add is not None:
        bias_name = next(i for i in bias_add.inputs if i != node.outputs[0])
        bias, total = ctx.tensor(bias_name), ctx.tensor(bias_add.outputs[0])
        strides = _bias_strides(bias, total.shape, m, n) if batch == 1 and a.dtype == INT8 else None
        if strides is not None:
            gemm = c.GemmCall(a.name, b.name, bias.name, total.name, m, n, k, c_row_stride=strides[0], c_col_stride=strides[1])
            return [(gemm,)]
        return [*lower_matmul(ctx, node), *lower_add(ctx, bias_add)]
    call = c.MatMulCall(a.name, b.name, y.name, batch, m, n, k, stride_a, stride_b, a.dtype == UINT8)
    return [(call,)]


def lower_gemm(ctx: LoweringContext, node: Node) -> list[Step]:
    a, b = (ctx.tensor(n) for n in node.inputs[:2])
    y = ctx.tensor(node.outputs[0])
    _require(node, a, (INT8,), "A")
    _require(node, b, (INT8,), "B")
    attrs = node.attrs
    m, n = y.shape
    k = a.shape[0] if attrs.trans_a else a.shape[1]
    bias, strides = None, (0, 0)
    if len(node.inputs) == 3:
        bias = ctx.tensor(node.inputs[2])
        _require(node, bias, (INT32,), "C")
        strides = _bias_strides(bias, y.shape, m, n)
        if strides is None:
            if not bias.is_constant:
                raise fail(node, f"C of shape {bias.shape} broadcasts in a way the kernel cannot index")
            full = np.ascontiguousarray(np.broadcast_to(bias.data, y.shape))
            bias = ctx.tensor(ctx.new_tensor(f"{bias.name}@{node.name}", y.shape, INT32, full))
            strides = (n, 1)
    call = c.GemmCall(a.name, b.name, bias.name if bias else None, y.name, m, n, k, attrs.trans_a, attrs.trans_b,
                      attrs.alpha, attrs.beta, strides[0], strides[1])  # fmt: skip
    return [(call,)]


def _conv_geometry(node: Node, x: Tensor, w: Tensor, y: Tensor, kernel, strides, pads, dilations):
    if len(x.shape) != 4:
        raise fail(node, f"{len(x.shape) - 2}-D windows; the cores' kernels do 2-D only")
    kernel = tuple(kernel or w.shape[2:])
    strides = tuple(strides or (1, 1))
    dilations = tuple(dilations or (1, 1))
    pads = tuple(pads or (0, 0, 0, 0))
    return kernel, strides, (pads[0], pads[1]), dilations, tuple(y.shape[2:])


def lower_conv(ctx: LoweringContext, node: Node) -> list[Step]:
    """2-D Conv, group 1, int8: im2col of each image into a scratch (K x Ho*Wo, K = C*kh*kw), then
    kernel_gemm_s8s8 of the weights seen as F x K with it: the result is NCHW directly; the bias
    (per output channel) is the Gemm's c with row stride 1."""
    x, w = ctx.tensor(node.inputs[0]), ctx.tensor(node.inputs[1])
    y = ctx.tensor(node.outputs[0])
    attrs = node.attrs
    _require(node, x, (INT8,), "input")
    _require(node, w, (INT8,), "weight")
    if attrs.group != 1:
        raise fail(node, f"group {attrs.group}: only group 1 has a kernel")
    kernel, strides, pads, dilations, out = _conv_geometry(node, x, w, y, attrs.kernel_shape, attrs.strides, attrs.pads, attrs.dilations)
    images, channels, height, width = x.shape
    filters = w.shape[0]
    depth = channels * kernel[0] * kernel[1]
    pixels = out[0] * out[1]
    cols = ctx.new_tensor(f"{node.name}.im2col", (images, depth, pixels), INT8)
    bias = None
    if len(node.inputs) == 3:
        bias = ctx.tensor(node.inputs[2])
        _require(node, bias, (INT32,), "bias")
    im2col, gemms = [], []
    for image in range(images):
        im2col.append(c.Im2ColCall(x.name, cols, image * channels * height * width, image * depth * pixels, channels,
                                   height, width, kernel, strides, pads, dilations, out))  # fmt: skip
        gemms.append(c.GemmCall(w.name, cols, bias.name if bias else None, y.name, filters, pixels, depth,
                                c_row_stride=1 if bias else 0, b_offset=image * depth * pixels,
                                y_offset=image * filters * pixels))  # fmt: skip
    return [tuple(im2col), tuple(gemms)]


def lower_max_pool(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    attrs = node.attrs
    _require(node, x, (INT8, UINT8), "input")
    kernel, strides, pads, dilations, out = _conv_geometry(node, x, x, y, attrs.kernel_shape, attrs.strides, attrs.pads, attrs.dilations)
    planes = x.shape[0] * x.shape[1]
    call = c.MaxPoolCall(x.name, y.name, x.dtype == UINT8, planes, x.shape[2], x.shape[3], kernel, strides, pads, dilations, out)
    return [(call,)]


# ------------------------------------------------------------------ elementwise


def lower_requant_shift(ctx: LoweringContext, node: Node) -> list[Step]:
    x, mul, add = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    kind = c.kind_of(x.dtype)
    if not kind:
        raise fail(node, f"input '{x.name}' is {x.dtype}; the kernels take int32, int8 or uint8")
    if y.dtype not in (INT8, UINT8):
        raise fail(node, f"n_levels {node.attrs.n_levels} gives {y.dtype}; the kernels write 8-bit results")
    _require(node, mul, (INT32,), "mul")
    _require(node, add, (INT32,), "add")
    patterns = [broadcast_pattern(t.shape, y.shape) for t in (mul, add)]
    if None in patterns:
        raise fail(node, "mul/add broadcast in a way the kernel cannot index")
    inners = {inner for length, inner in patterns if length > 1}
    if len(inners) > 1:
        raise fail(node, "mul and add are per channel along different axes")
    inner = inners.pop() if inners else max(y.size, 1)  # scalar mul and add: one run (the kernel loops per run)
    call = c.RequantShiftCall(x.name, y.name, kind, y.size, mul.name, patterns[0][0], add.name, patterns[1][0], inner,
                              node.attrs.log2d, node.attrs.n_levels, node.attrs.signed)  # fmt: skip
    return [(call,)]


def lower_add(ctx: LoweringContext, node: Node) -> list[Step]:
    a, b = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    variant = ADD_VARIANTS.get((str(a.dtype), str(b.dtype)))
    if variant is None:
        raise fail(node, f"operands {a.dtype} + {b.dtype}: the kernels add int8/uint8 pairs or int32 + int32")
    if a.size != y.size:
        raise fail(node, f"neither operand has the result's shape {y.shape}; the kernel broadcasts only its second operand")
    b_len = suffix_length(b.shape, y.shape)
    if b_len is None:
        raise fail(node, f"operand '{b.name}' {b.shape} broadcasts in a way the kernel cannot index")
    return [(c.AddCall(a.name, b.name, y.name, variant, y.size, b_len),)]


def _requant_params(ctx: LoweringContext, node: Node) -> tuple[int, ...]:
    """(mul, add, log2d, n_levels, signed) of a per-tensor RequantShift (residual.py checked that it is)."""
    mul, add = (int(np.asarray(ctx.tensor(n).data).reshape(-1)[0]) for n in node.inputs[1:3])
    a = node.attrs
    return (mul, add, a.log2d, a.n_levels, a.signed)


def lower_residual(ctx: LoweringContext, nodes: tuple[Node, ...]) -> list[Step]:
    """The residual group (RequantShift, RequantShift, Add, RequantShift [, iNoNorm]) ->
    kernel_residual_requant_lut, its requantizations (and the iNoNorm's multiplier) folded into
    constant tensors (residual_tables.py)."""
    rq_a, rq_b, _, rq_y = nodes[:4]
    a, b = (ctx.tensor(rq.inputs[0]) for rq in (rq_a, rq_b))
    params_a, params_b = _requant_params(ctx, rq_a), _requant_params(ctx, rq_b)
    table_a = ctx.new_tensor(f"{rq_a.name}.table", (256,), UINT8, tables.input_table(a.dtype, *params_a))
    table_b = ctx.new_tensor(f"{rq_b.name}.table", (256,), UINT8, tables.input_table(b.dtype, *params_b))
    bounds = [requant_bounds(*params[3:]) for params in (params_a, params_b)]
    y_values = tables.output_table(*bounds, *_requant_params(ctx, rq_y))
    table_y = ctx.new_tensor(f"{rq_y.name}.table", y_values.shape, INT8, y_values)
    y = ctx.tensor(nodes[-1].outputs[0])
    norm: dict = {}
    if len(nodes) == 5:
        node = nodes[4]
        w, bias = (ctx.tensor(n) for n in node.inputs[1:3])
        scaled = [ctx.new_tensor(f"{t.name}*mul@{node.name}", t.shape, INT32, tables.scaled_norm(t.data, node.attrs.mul))
                  for t in (w, bias)]  # fmt: skip
        norm = {"norm_w": scaled[0], "w_len": suffix_length(w.shape, y.shape), "norm_b": scaled[1],
                "b_len": suffix_length(bias.shape, y.shape), "norm_log2d": node.attrs.log2d}  # fmt: skip
    return [(c.ResidualCall(a.name, b.name, y.name, y.size, table_a, table_b, table_y, **norm),)]


def lower_gelu(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _require(node, x, (INT8,), "input")
    return [(c.GeluCall(x.name, y.name, y.size, node.attrs.b, node.attrs.one),)]


def lower_hardswish(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _require(node, x, (INT8,), "input")
    a = node.attrs
    return [(c.HardswishCall(x.name, y.name, y.size, a.one_over_six, a.six, a.three),)]


# ------------------------------------------------------------------ softmaxes, norms, mean


def _rows(x: Tensor) -> tuple[int, int]:
    n = x.shape[-1] if x.shape else 1
    return (x.size // n if n else 0), n


def _softmax_checks(node: Node, x: Tensor, y: Tensor) -> None:
    _require(node, x, (INT8,), "input")
    if y.dtype != UINT8:
        raise fail(node, f"n_levels {node.attrs.n_levels} gives {y.dtype}; the kernels write uint8")


def lower_isoftmax(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _softmax_checks(node, x, y)
    rows, n = _rows(x)
    scratch = ctx.new_tensor(f"{node.name}.scratch", (MAX_CORES, n), np.uint32)
    a = node.attrs
    return [(c.ISoftmaxCall(x.name, y.name, rows, n, a.coeff_a, a.coeff_b, a.coeff_c, a.log2, a.n_levels, scratch),)]


def lower_itamax(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _softmax_checks(node, x, y)
    rows, n = _rows(x)
    return [(c.ITAMaxCall(x.name, y.name, rows, n, node.attrs.n_levels),)]


def lower_itapartialmax(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _softmax_checks(node, x, y)
    rows, n = _rows(x)
    width = node.attrs.group_width
    if not 1 <= width <= n or node.attrs.n_levels < 2:
        raise fail(node, f"group_width {width} must be in 1..{n} and n_levels >= 2")
    return [(c.ITAPartialMaxCall(x.name, y.name, rows, n, width, node.attrs.n_levels),)]


def lower_layer_norm(ctx: LoweringContext, node: Node) -> list[Step]:
    x, weight, bias = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    _require(node, x, (INT8, UINT8), "input")
    _require(node, y, (INT8,), "output")
    rows, n = _rows(x)
    return [(c.LayerNormCall(x.name, weight.name, bias.name, y.name, rows, n, node.attrs.log2d, x.dtype == UINT8),)]


def lower_rms_norm(ctx: LoweringContext, node: Node) -> list[Step]:
    x, weight = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    _require(node, x, (INT8,), "input")
    _require(node, y, (INT8,), "output")
    rows, n = _rows(x)
    return [(c.RMSNormCall(x.name, weight.name, y.name, rows, n, node.attrs.log2d),)]


def lower_no_norm(ctx: LoweringContext, node: Node) -> list[Step]:
    x, weights, bias = (ctx.tensor(n) for n in node.inputs)
    y = ctx.tensor(node.outputs[0])
    _require(node, x, (INT8,), "input")
    _require(node, y, (INT8,), "output")
    _require(node, weights, (INT8,), "weights")
    _require(node, bias, (INT32,), "bias")
    w_len, b_len = (suffix_length(t.shape, y.shape) for t in (weights, bias))
    if w_len is None or b_len is None:
        raise fail(node, "weights/bias broadcast in a way the kernel cannot index")
    a = node.attrs
    return [(c.NoNormCall(x.name, weights.name, w_len, bias.name, b_len, y.name, y.size, a.mul, a.log2d),)]


def lower_integer_mean(ctx: LoweringContext, node: Node) -> list[Step]:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    _require(node, x, (INT8,), "input")
    rank = len(x.shape)
    axes = sorted({a % rank for a in node.attrs.axes})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise fail(node, f"axes {node.attrs.axes} are not adjacent")
    outer, reduce_len = _prod(x.shape[: axes[0]]), _prod(x.shape[axes[0] : axes[-1] + 1])
    inner = _prod(x.shape[axes[-1] + 1 :])
    return [(c.MeanCall(x.name, y.name, outer, reduce_len, inner, node.attrs.keepdims),)]


# ------------------------------------------------------------------ data movement


def _elem_size(node: Node, tensor: Tensor) -> int:
    size = tensor.dtype.itemsize
    if size not in (1, 2, 4):
        raise fail(node, f"{tensor.dtype} elements; the data-movement kernels copy 1, 2 or 4 bytes")
    return size


def simplify_permutation(shape: tuple[int, ...], perm: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The same data movement with size-1 axes dropped and input axes that stay adjacent (and in
    order) in the output merged: e.g. [1,64,2,32] perm (0,2,1,3) -> [64,2,32] perm (1,0,2)."""
    kept = [a for a in perm if shape[a] != 1]
    groups: list[list[int]] = []
    for axis in kept:
        if groups and axis > groups[-1][-1] and all(shape[a] == 1 for a in range(groups[-1][-1] + 1, axis)):
            groups[-1].append(axis)
        else:
            groups.append([axis])
    # the input order of the merged axes
    order = sorted(range(len(groups)), key=lambda g: groups[g][0])
    new_shape = tuple(_prod([shape[a] for a in groups[g]]) for g in order)
    position = {g: i for i, g in enumerate(order)}
    new_perm = tuple(position[g] for g in range(len(groups)))
    return new_shape, new_perm


def lower_transpose(ctx: LoweringContext, node: Node) -> list[Step] | View:
    x, y = ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])
    perm = node.attrs.perm or tuple(reversed(range(len(x.shape))))
    shape, new_perm = simplify_permutation(x.shape, tuple(perm))
    if new_perm == tuple(range(len(new_perm))):
        return View(y.name, x.name, 0, node.name)
    if len(new_perm) > 6:
        raise fail(node, f"a rank-{len(new_perm)} permutation; kernel_transpose handles rank <= 6")
    return [(c.TransposeCall(x.name, y.name, shape, new_perm, _elem_size(node, x)),)]


def lower_gather(ctx: LoweringContext, node: Node) -> list[Step] | View:
    x, indices = ctx.tensor(node.inputs[0]), ctx.tensor(node.inputs[1])
    y = ctx.tensor(node.outputs[0])
    axis = node.attrs.axis % len(x.shape)
    outer, axis_len, inner = _prod(x.shape[:axis]), x.shape[axis], _prod(x.shape[axis + 1 :])
    values = [int(v) for v in np.asarray(indices.data).ravel()]
    size = _elem_size(node, x)
    if len(values) == 1 and outer == 1:
        index = values[0] + axis_len if values[0] < 0 else values[0]
        return View(y.name, x.name, index * inner * size, node.name)
    return [(c.GatherCall(x.name, y.name, tuple(values), outer, axis_len, inner, size),)]


def lower_view(ctx: LoweringContext, node: Node) -> View:
    return View(node.outputs[0], node.inputs[0], 0, node.name)


RULES: dict[str, Rule] = {
    "MatMul": lower_matmul,
    "Gemm": lower_gemm,
    "Conv": lower_conv,
    "MaxPool": lower_max_pool,
    "RequantShift": lower_requant_shift,
    "Add": lower_add,
    "iGELU": lower_gelu,
    "iHardswish": lower_hardswish,
    "iSoftmax": lower_isoftmax,
    "ITAMax": lower_itamax,
    "ITAPartialMax": lower_itapartialmax,
    "iLayerNorm": lower_layer_norm,
    "iRMSNorm": lower_rms_norm,
    "iNoNorm": lower_no_norm,
    "IntegerMean": lower_integer_mean,
    "Transpose": lower_transpose,
    "Gather": lower_gather,
    **{op: lower_view for op in VIEW_OPS},
}


@dataclass(frozen=True)
class CoreEngine:
    """Runs any group whose nodes all have a rule; a MatMul + bias Add pair becomes one Gemm, a
    residual group one kernel_residual_requant call."""

    name: str = CORES

    def accepts(self, group: NodeGroup, graph: Graph) -> bool:
        return all(node.op_type in RULES for node in group.nodes)

    def lower(self, group: NodeGroup, ctx: LoweringContext) -> Layer | View:
        nodes = list(group.nodes)
        missing = next((n for n in nodes if n.op_type not in RULES), None)
        if missing is not None:
            raise fail(missing, "no kernel for this operator on the cores")
        if is_residual_group(group.op_types):
            return Layer(group.name, self.name, tuple(n.name for n in group.nodes), group.op_types,
                         lower_residual(ctx, group.nodes))
        steps: list[Step] = []
        if len(nodes) >= 2 and nodes[0].op_type == "MatMul" and nodes[1].op_type == "Add":
            steps += lower_matmul(ctx, nodes[0], bias_add=nodes[1])
            nodes = nodes[2:]
        for node in nodes:
            result = RULES[node.op_type](ctx, node)
            if isinstance(result, View):
                if len(group.nodes) != 1:
                    raise fail(node, "a view inside a fused group")
                return result
            steps += result
        return Layer(group.name, self.name, tuple(n.name for n in group.nodes), group.op_types, steps)
