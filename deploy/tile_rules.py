"""How each compute-core kernel splits into tiles (used by deploy/tiling.py).

A rule sees one kernel call and returns a TileProblem: the grid (batches x rows x columns), the
block of every operand that one tile needs (a rows x columns block of a row-major matrix view
of the tensor), and `make_call(rows, cols)`, the same kernel on one tile whose operands are dense
blocks in L1 (row stride = the block's width). Results must not depend on where a tile starts:

- elementwise kernels (RequantShift, Add, iNoNorm, the fused residual block, i-GELU,
  i-Hardswish) see their tensor as rows of one period, the length after which the broadcast
  parameters repeat, so every tile starts at parameter index 0; the parameters are resident
  blocks (or streams like the data when they are as long as it);
- row-wise kernels (softmaxes, LayerNorm, RMSNorm) tile whole rows;
- Gemm (no transposes) tiles rows of A and Y and columns of B, Y and a per-column bias; the
  whole inner dimension stays in one tile (the kernels accumulate in registers);
- MatMul tiles batches, rows and columns the same way;
- the run-time bias of ITA's unsigned A.V tiles by heads;
- Transpose tiles along the output's first axis.

Calls without a rule here (gather, im2col, pooling, mean, the in-place offset of an unsigned ITA
operand) keep reading their operands in place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from deploy.lowering import LoweredNetwork
from deploy.lowering import calls as c
from deploy.lowering.ita import UnsignedBiasCall

LOAD, STORE, RESIDENT, SCRATCH = "load", "store", "resident", "scratch"
COL_QUANTUM = 8
"""Column tiles are multiples of 8 (the int8 GEMM's inner tile is 2 rows x 8 columns)."""
ROW_QUANTUM_GEMM = 16
"""Row tiles of a GEMM are multiples of 16 where they can be: the kernel deals 2-row units to the
cores round robin, so 8 cores x 2 rows keep every core equally busy (22 rows would leave five of
eight cores idle half the tile)."""


@dataclass(frozen=True)
class Block:
    """The part of tensor `tensor` that tile (b, i, j) needs: element (r, col) of the block is at
    byte offset + b*batch_step + (i*R + r)*ld + (j*C + col)*elem of the tensor, where R, C are the
    tile's rows and columns; a fixed `rows` / `cols` replaces the tile's (and its i / j term)."""

    tensor: str
    role: str  # LOAD, STORE, SCRATCH (tiling.py turns a LOAD that never changes into RESIDENT)
    elem: int
    ld: int
    rows: int | None = None
    cols: int | None = None
    offset: int = 0
    batch_step: int = 0


@dataclass(frozen=True)
class TileProblem:
    batches: int
    rows: int
    cols: int
    blocks: tuple[Block, ...]
    make_call: Callable[[int, int], c.KernelCall]
    row_quantum: int = 1
    col_quantum: int = 0  # 0: columns are not split


Rule = Callable[[c.KernelCall, LoweredNetwork], "TileProblem | str"]


def _itemsize(network: LoweredNetwork, name: str) -> int:
    return network.tensors[name].dtype.itemsize


def _vector(network: LoweredNetwork, name: str, length: int) -> Block:
    """A parameter vector read whole by every tile."""
    return Block(name, LOAD, _itemsize(network, name), length * _itemsize(network, name), rows=1, cols=length)


def _stream(network: LoweredNetwork, name: str, role: str, period: int) -> Block:
    """An elementwise operand seen as rows of `period` elements."""
    size = _itemsize(network, name)
    return Block(name, role, size, period * size, cols=period)


def _elementwise(network, size: int, streams, parameters, make, unit: int = 1) -> TileProblem | str:
    """`streams`: (tensor, role) of `size` elements; `parameters`: (tensor, length) indexed
    (i / unit) % length. A parameter as long as the data is one more stream; the others repeat
    every period = unit * lcm(lengths), which becomes the row of the matrix view (they are read
    whole by every tile). `make(size, full)`: the call on `size` elements, `full` the names of the
    parameters that became streams (their lengths are the tile's size now)."""
    full = {name for name, length in parameters if length >= size > 0}
    repeating = [length for name, length in parameters if name not in full and length > 1]
    period = unit * math.lcm(*repeating) if repeating else 1
    if size % period:
        return f"{size} elements are not whole periods of {period}"
    blocks = tuple(_stream(network, name, role, period) for name, role in streams)
    blocks += tuple(_stream(network, name, LOAD, period) for name in sorted(full))
    blocks += tuple(_vector(network, name, length) for name, length in parameters if name not in full)
    return TileProblem(1, size // period, period, blocks, lambda rows, cols: make(rows * period, full))


def requant_shift(call: c.RequantShiftCall, network) -> TileProblem | str:
    def make(size: int, full: set[str]) -> c.RequantShiftCall:
        mul_len = size if call.mul in full else call.mul_len
        add_len = size if call.add in full else call.add_len
        inner = call.inner if (mul_len > 1 or add_len > 1) and not full else 1 if full else min(call.inner, size)
        return replace(call, size=size, mul_len=mul_len, add_len=add_len, inner=inner)

    if (call.mul_len >= call.size or call.add_len >= call.size) and call.inner != 1:
        return "a parameter as long as the data but indexed in runs"
    return _elementwise(network, call.size, [(call.x, LOAD), (call.y, STORE)],
                        [(call.mul, call.mul_len), (call.add, call.add_len)], make, unit=call.inner)  # fmt: skip


def add(call: c.AddCall, network) -> TileProblem | str:
    return _elementwise(network, call.size, [(call.a, LOAD), (call.y, STORE)], [(call.b, call.b_len)],
                        lambda size, full: replace(call, size=size, b_len=size if full else call.b_len))  # fmt: skip


def one_in_one_out(call, network) -> TileProblem | str:
    """i-GELU, i-Hardswish: no parameters in memory."""
    return _elementwise(network, call.size, [(call.x, LOAD), (call.y, STORE)], [],
                        lambda size, full: replace(call, size=size))  # fmt: skip


def no_norm(call: c.NoNormCall, network) -> TileProblem | str:
    def make(size: int, full: set[str]) -> c.NoNormCall:
        return replace(call, size=size, w_len=size if call.weights in full else call.w_len,
                       b_len=size if call.bias in full else call.b_len)  # fmt: skip

    return _elementwise(network, call.size, [(call.x, LOAD), (call.y, STORE)],
                        [(call.weights, call.w_len), (call.bias, call.b_len)], make)  # fmt: skip


def residual(call: c.ResidualCall, network) -> TileProblem | str:
    """The fused residual block: a, b and y elementwise, the optional iNoNorm's weights and bias
    indexed i % length like iNoNorm's; the three requantization tables are read whole by every
    tile (resident), however long the data is."""
    parameters = [(call.norm_w, call.w_len), (call.norm_b, call.b_len)] if call.norm_w else []

    def make(size: int, full: set[str]) -> c.ResidualCall:
        if not call.norm_w:
            return replace(call, size=size)
        return replace(call, size=size, w_len=size if call.norm_w in full else call.w_len,
                       b_len=size if call.norm_b in full else call.b_len)  # fmt: skip

    problem = _elementwise(network, call.size, [(call.a, LOAD), (call.b, LOAD), (call.y, STORE)], parameters, make)
    if isinstance(problem, str):
        return problem
    tables = (call.table_a, call.table_b, call.table_y)
    return replace(problem, blocks=problem.blocks + tuple(_vector(network, t, network.tensors[t].size) for t in tables))


def rows_of(call, network, vectors=(), scratch: str | None = None) -> TileProblem | str:
    """Row-wise kernels (`rows` x `n`): whole rows per tile."""
    blocks = [_stream(network, call.x, LOAD, call.n), _stream(network, call.y, STORE, call.n)]
    blocks += [_vector(network, name, call.n) for name in vectors]
    if scratch:
        shape = network.tensors[scratch].shape
        blocks.append(Block(scratch, SCRATCH, _itemsize(network, scratch), 0, rows=shape[0], cols=int(math.prod(shape[1:]))))
    return TileProblem(1, call.rows, call.n, tuple(blocks), lambda rows, cols: replace(call, rows=rows))


def layer_norm(call: c.LayerNormCall, network):
    return rows_of(call, network, (call.weight, call.bias))


def rms_norm(call: c.RMSNormCall, network):
    return rows_of(call, network, (call.weight,))


def isoftmax(call: c.ISoftmaxCall, network):
    return rows_of(call, network, scratch=call.scratch)


def gemm(call: c.GemmCall, network) -> TileProblem | str:
    if call.trans_a or call.trans_b:
        return "transposed operands (the tile would be a strided block of the other axis)"
    if call.a_offset or call.b_offset or call.y_offset:
        return "one image of a convolution's batch (offsets into im2col buffers)"
    m, n, k = call.m, call.n, call.k
    blocks = [Block(call.a, LOAD, 1, k, cols=k), Block(call.b, LOAD, 1, n, rows=k), Block(call.y, STORE, 4, 4 * n)]
    strides = (call.c_row_stride, call.c_col_stride)
    if call.c:
        if strides == (0, 0):
            blocks.append(Block(call.c, LOAD, 4, 4, rows=1, cols=1))
        elif strides == (0, 1):
            blocks.append(Block(call.c, LOAD, 4, 4 * n, rows=1))
        elif strides == (1, 0):
            blocks.append(Block(call.c, LOAD, 4, 4, cols=1))
        elif strides == (n, 1):
            blocks.append(Block(call.c, LOAD, 4, 4 * n))
        else:
            return f"bias strides {strides}"

    def make(rows: int, cols: int) -> c.GemmCall:
        row_stride = cols if strides == (n, 1) else call.c_row_stride
        return replace(call, m=rows, n=cols, c_row_stride=row_stride)

    return TileProblem(1, m, n, tuple(blocks), make, ROW_QUANTUM_GEMM, COL_QUANTUM)


def matmul(call: c.MatMulCall, network) -> TileProblem | str:
    m, n, k = call.m, call.n, call.k
    blocks = (
        Block(call.a, LOAD, 1, k, cols=k, batch_step=call.a_batch_stride),
        Block(call.b, LOAD, 1, n, rows=k, batch_step=call.b_batch_stride),
        Block(call.y, STORE, 4, 4 * n, batch_step=4 * m * n),
    )

    def make(rows: int, cols: int) -> c.MatMulCall:
        return replace(call, batch=1, m=rows, n=cols, a_batch_stride=0, b_batch_stride=0)

    return TileProblem(call.batch, m, n, blocks, make, ROW_QUANTUM_GEMM, COL_QUANTUM)


def unsigned_bias(call, network) -> TileProblem | str:
    """ITA's A.V run-time bias (deploy/lowering/ita.py UnsignedBiasCall): a head's V^T rows are one
    row of the grid (p_len * ld bytes, read whole by the tile), its packed bias one stored row."""
    if call.ld != call.s_len or (call.heads > 1 and call.head_step != call.p_len * call.ld):
        return "V^T rows or heads with gaps (a head would be a strided block)"
    head = call.p_len * call.ld
    blocks = (Block(call.vt, LOAD, 1, head, cols=head, offset=call.vt_offset),
              Block(call.bias, STORE, 1, call.head_bytes, cols=call.head_bytes, offset=call.bias_offset))  # fmt: skip
    return TileProblem(1, call.heads, 1, blocks,
                       lambda rows, cols: replace(call, vt_offset=0, head_step=head, heads=rows, bias_offset=0))  # fmt: skip


def transpose(call: c.TransposeCall, network) -> TileProblem | str:
    """Tiles along the output's first axis (input axis k = perm[0]): output rows o0..o0+C-1 are
    one contiguous block of y, and read the input block x[outer, o0..o0+C-1, inner] (outer rows
    of C * inner elements, a 2-D transfer). The tile's kernel is the same permutation of that
    block, with axis k of length C."""
    shape, k = call.in_shape, call.perm[0]
    outer, inner = math.prod(shape[:k]), math.prod(shape[k + 1 :])
    rest = math.prod(shape) // shape[k] if shape[k] else 0
    unit_in, unit_out = inner * call.elem_size, rest * call.elem_size
    blocks = (
        Block(call.x, LOAD, unit_in, shape[k] * unit_in, rows=outer),
        Block(call.y, STORE, unit_out, unit_out, rows=1),
    )

    def make(rows: int, cols: int) -> c.TransposeCall:
        return replace(call, in_shape=(*shape[:k], cols, *shape[k + 1 :]))

    return TileProblem(1, 1, shape[k], blocks, make, col_quantum=1)


RULES: dict[type, Rule] = {
    c.RequantShiftCall: requant_shift,
    c.AddCall: add,
    c.GeluCall: one_in_one_out,
    c.HardswishCall: one_in_one_out,
    c.NoNormCall: no_norm,
    c.ResidualCall: residual,
    c.ITAMaxCall: rows_of,
    c.ITAPartialMaxCall: rows_of,
    c.ISoftmaxCall: isoftmax,
    c.LayerNormCall: layer_norm,
    c.RMSNormCall: rms_norm,
    c.GemmCall: gemm,
    c.MatMulCall: matmul,
    c.TransposeCall: transpose,
    UnsignedBiasCall: unsigned_bias,
}


def tile_problem(call: c.KernelCall, network: LoweredNetwork) -> TileProblem | str:
    rule = RULES.get(type(call))
    if rule is None:
        return "no tiling rule for this kernel"
    return rule(call, network)
