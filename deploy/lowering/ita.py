"""The "ita" engine: node groups that ITA runs bit for bit become layers of ITA steps on the DMA core.

What runs on ITA is decided once per graph by deploy.lowering.ita_patterns.Planner (the pattern
matching and the numerics checks, documented there). This module turns its decisions into layers:

- a MatMul [+ bias Add] + RequantShift group -> one `dita_matmul` call per batch element (per
  head for QK and A.V): ITA Linear jobs, tiles streamed through L1 by the DMA core
  (deploy/csrc/deploy_ita.c). Constant weights become ITA weight tiles (W^T, tile-major, zero
  padded to multiples of 64) and packed 24-bit biases, in L2 (`<weight>@ita`, `<layer>@ita.bias`);
- a projection whose output ITA keeps transposed (V^T) swaps the operands: input W^T tiles,
  weight the activation rows, bias per output row (ITA's V step);
- an A.V whose probabilities come from a softmax on the cores: the softmax stores them as int8
  (u ^ 0x80 = u - 128, its call's out_xor) and a cores layer first computes the run-time bias
  128 * sum_s V^T[p, s] that restores the unsigned product (`dita_unsigned_bias`, tiled through
  L1 by deploy/tile_rules.py). An unsigned input from another kernel is offset in place by that
  layer instead (`dita_unsigned_offset`);
- QK -> softmax -> A.V fused when ITA computes the graph's softmax variant -> one
  `dita_attention` call per head (SingleAttention mode), the logits never leave L1;
- Transposes absorbed into ITA steps (head split and merge) and the fused QK / softmax groups
  produce no layer (lower() returns None).

`ItaRegion` sizes the static L1 region the calls share (tile slots, the query group's logits).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from deploy.graph import Graph
from deploy.lowering import calls as c
from deploy.lowering.cores import LoweringContext
from deploy.lowering.fusion import NodeGroup
from deploy.lowering.ita_patterns import TILE, ItaPlan, MatmulCandidate, Operand, Planner, tiles
from deploy.lowering.network import CORES, ITA, Layer, LoweredNetwork

TILE_BYTES = TILE * TILE
BIAS_BYTES = 3 * TILE
OUT_SLOTS, BIAS_SLOTS, BIAS_SLOT_BYTES = 2, 2, 256
MAX_SLOTS = 32
STATE_BYTES = 2048
"""Must match deploy_ita.h (DITA_OUT_SLOTS, DITA_BIAS_SLOTS, DITA_MAX_SLOTS, DITA_STATE_BYTES)."""


def _ptr(ref: c.Ref, name: str, offset: int, ctype: str = "int8_t", const: bool = True) -> str:
    cast = f"({'const ' if const else ''}{ctype} *)"
    return f"{cast}{ref(name)}" + (f" + {offset}" if offset else "")


@dataclass(frozen=True)
class ItaOperand:
    tensor: str
    offset: int  # bytes
    ld: int  # GATHER: bytes between rows; TILED: tiles per tile row
    rows: int
    cols: int
    tiled: bool

    def render(self, ref: c.Ref) -> str:
        kind = "DITA_TILED" if self.tiled else "DITA_GATHER"
        return f"{{{_ptr(ref, self.tensor, self.offset)}, {self.ld}, {self.rows}, {self.cols}, {kind}}}"


@dataclass(frozen=True)
class ItaMatmulCall(c.KernelCall):
    """dita_matmul: out (m x n) = requant(in (m x k) . w (n x k)^T + bias) on ITA (Linear jobs)."""

    function: ClassVar[str] = "dita_matmul"
    runs_on: ClassVar[str] = c.DM_CORE
    inp: ItaOperand
    w: ItaOperand
    bias: str | None
    bias_offset: int
    bias_rows: bool
    out: str
    out_offset: int
    out_ld: int
    m: int
    n: int
    k: int
    eps_mult: int
    right_shift: int
    add: int
    graph_macs: int  # of one matrix
    batch: int = 1
    in_step: int = 0  # bytes from one matrix's operands to the next
    w_step: int = 0
    bias_step: int = 0
    out_step: int = 0

    @property
    def macs(self) -> int:
        return self.graph_macs * self.batch

    def reads(self):
        return (self.inp.tensor, self.w.tensor) + ((self.bias,) if self.bias else ())

    def writes(self):
        return (self.out,)

    def render(self, ref):
        bias = _ptr(ref, self.bias, self.bias_offset, "uint8_t") if self.bias else "0"
        return (
            f"dita_matmul(&(const dita_matmul_t){{{self.inp.render(ref)}, {self.w.render(ref)}, {bias}, "
            f"{_ptr(ref, self.out, self.out_offset, const=False)}, {self.out_ld}, {self.m}, {self.n}, {self.k}, "
            f"{int(self.bias_rows)}, {self.eps_mult}, {self.right_shift}, {self.add}, {self.batch}, {self.in_step}, "
            f"{self.w_step}, {self.bias_step}, {self.out_step}}}, &dita_region);"
        )


@dataclass(frozen=True)
class ItaAttentionCall(c.KernelCall):
    """dita_attention: one head, QK -> ITA's softmax -> A.V in SingleAttention mode."""

    function: ClassVar[str] = "dita_attention"
    runs_on: ClassVar[str] = c.DM_CORE
    q: ItaOperand
    k: ItaOperand
    vt: ItaOperand
    out: str
    out_offset: int
    out_ld: int
    s: int
    p: int
    qk: tuple[int, int, int]
    av: tuple[int, int, int]

    @property
    def macs(self) -> int:
        return 2 * self.s * self.s * self.p

    def reads(self):
        return (self.q.tensor, self.k.tensor, self.vt.tensor)

    def writes(self):
        return (self.out,)

    def render(self, ref):
        return (
            f"dita_attention(&(const dita_attention_t){{{self.q.render(ref)}, {self.k.render(ref)}, "
            f"{self.vt.render(ref)}, {_ptr(ref, self.out, self.out_offset, const=False)}, {self.out_ld}, {self.s}, "
            f"{self.p}, {self.qk[0]}, {self.qk[1]}, {self.qk[2]}, {self.av[0]}, {self.av[1]}, {self.av[2]}}}, "
            "&dita_region);"
        )


@dataclass(frozen=True)
class UnsignedOffsetCall(c.KernelCall):
    """dita_unsigned_offset on the compute cores: x ^= 0x80 in place (n bytes), for an unsigned
    input whose producer cannot store u ^ 0x80 itself."""

    function: ClassVar[str] = "dita_unsigned_offset"
    x: str
    n: int

    def reads(self):
        return (self.x,)

    def writes(self):
        return (self.x,)

    def arguments(self, ref):
        return [f"(uint8_t *){ref(self.x)}", str(self.n)]


@dataclass(frozen=True)
class UnsignedBiasCall(c.KernelCall):
    """dita_unsigned_bias on the compute cores: A.V's run-time bias 128 * sum_s V^T[p, s] for
    `heads` heads (V^T rows p of head h at vt_offset + h*head_step + p*ld bytes), packed 24-bit,
    head_bytes per head from bias_offset on."""

    function: ClassVar[str] = "dita_unsigned_bias"
    vt: str
    vt_offset: int
    ld: int
    head_step: int
    heads: int
    p_len: int
    s_len: int
    bias: str
    bias_offset: int

    @property
    def head_bytes(self) -> int:
        return tiles(self.p_len) * BIAS_BYTES

    def reads(self):
        return (self.vt,)

    def writes(self):
        return (self.bias,)

    def arguments(self, ref):
        return [_ptr(ref, self.vt, self.vt_offset), *map(str, (self.ld, self.head_step, self.heads, self.p_len, self.s_len)),
                _ptr(ref, self.bias, self.bias_offset, "uint8_t", const=False)]  # fmt: skip


SOFTMAX_CALLS = (c.ITAMaxCall, c.ITAPartialMaxCall, c.ISoftmaxCall)
"""Cores softmaxes that store their probabilities as u ^ out_xor."""


def fold_offset(network: LoweredNetwork, x: str) -> bool:
    """Make the softmax that writes `x` store it as int8 u - 128 (out_xor 0x80) instead of offsetting
    it in place afterwards; False if x's producer is no such call. Only for an x whose single
    reader is the ITA step that wants it offset: the planner (ita_patterns.Planner._pass, "its
    unsigned input has other readers") drops the step otherwise, as the in-place offset needed too."""
    writers = [(layer, s, i) for layer in network.layers for s, step in enumerate(layer.steps)
               for i, call in enumerate(step) if x in call.writes()]  # fmt: skip
    if len(writers) != 1:
        return False
    layer, s, i = writers[0]
    call = layer.steps[s][i]
    if layer.engine != CORES or not isinstance(call, SOFTMAX_CALLS) or call.y != x or call.out_xor:
        return False
    layer.steps[s] = layer.steps[s][:i] + (replace(call, out_xor=0x80),) + layer.steps[s][i + 1 :]
    return True


def bias_calls(cand: MatmulCandidate, bias: str) -> list[UnsignedBiasCall]:
    """The run-time bias of every head of an A.V: one call when the heads' V^T blocks are evenly
    spaced in one tensor (the usual head split), else one per head."""
    head_bytes = tiles(cand.n) * BIAS_BYTES
    reads = cand.b_reads
    step = reads[1].offset - reads[0].offset if len(reads) > 1 else 0
    if all(r.tensor == reads[0].tensor and r.ld == reads[0].ld and r.offset == reads[0].offset + h * step
           for h, r in enumerate(reads)):  # fmt: skip
        return [UnsignedBiasCall(reads[0].tensor, reads[0].offset, reads[0].ld, step, len(reads), cand.n, cand.k, bias, 0)]
    return [UnsignedBiasCall(r.tensor, r.offset, r.ld, 0, 1, cand.n, cand.k, bias, h * head_bytes) for h, r in enumerate(reads)]


# ---------------------------------------------------------------- constants in ITA's layout


def weight_tiles(w_kn: np.ndarray) -> np.ndarray:
    """ONNX MatMul weights (K x N) -> ITA weight tiles: W^T (N x K) zero padded, tile-major."""
    from iss.ita.layout import to_tiles

    k, n = w_kn.shape
    padded = np.zeros((tiles(n) * TILE, tiles(k) * TILE), np.int8)
    padded[:n, :k] = w_kn.T
    return to_tiles(padded).reshape(-1)


def packed_bias(bias: np.ndarray, n: int) -> np.ndarray:
    """Biases -> 64 packed 24-bit values per output tile (zero padded), as uint8."""
    from iss.ita.layout import pack_bias24

    padded = np.zeros(tiles(n) * TILE, np.int64)
    padded[:n] = bias
    return np.frombuffer(pack_bias24(padded), np.uint8).copy()


def _gather(op: Operand) -> ItaOperand:
    return ItaOperand(op.tensor, op.offset, op.ld, op.rows, op.cols, False)


# ---------------------------------------------------------------- the engine


@dataclass
class ItaEngine:
    """Offered every group before the cores; takes those the plan gives to ITA."""

    softmax: str = "ita-paper"
    name: str = ITA
    _plans: dict | None = None
    last_plan: ItaPlan | None = None  # the plan of the last graph (notes for the report)

    def plan(self, graph: Graph) -> ItaPlan:
        if self._plans is None:
            self._plans = {}
        key = id(graph)
        if key not in self._plans:
            self._plans[key] = (graph, Planner(graph, self.softmax).plan())
        self.last_plan = self._plans[key][1]
        return self.last_plan

    def accepts(self, group: NodeGroup, graph: Graph) -> bool:
        return self.plan(graph).decision(group) is not None

    def lower(self, group: NodeGroup, ctx: LoweringContext):
        plan = self.plan(ctx.graph)
        decision = plan.decision(group)
        if decision.kind == "absorbed":
            return None
        absorbed = [name for name, d in plan.decisions.items() if d.kind == "absorbed" and d.into == group.name]
        if decision.kind == "attention":
            return self._attention(decision.fused, ctx, absorbed)
        return self._matmul(decision.candidate, ctx, absorbed, plan)

    # ------------------------------------------------------------ layers

    def _layer(self, group: NodeGroup, absorbed: list[str], steps, ctx, extra_groups=()) -> Layer:
        nodes = [n for g in (group, *extra_groups) for n in g.nodes]
        names = tuple(n.name for n in nodes) + tuple(a for a in absorbed if a not in {n.name for n in nodes})
        ops = tuple(n.op_type for n in nodes) + tuple("Transpose" for a in absorbed if a not in {n.name for n in nodes})
        return Layer(group.name, ITA, names, ops, steps)

    def _matmul(self, cand: MatmulCandidate, ctx: LoweringContext, absorbed: list[str], plan: ItaPlan):
        graph = ctx.graph
        planner_bias = _bias_of(cand, graph)
        rq = cand.requant
        layers: list[Layer] = []
        calls: list[c.KernelCall] = []
        weight = None
        bias_name = None
        if cand.b_const:
            w = graph.tensor(cand.b).data.reshape(cand.k, cand.n)
            weight = ctx.new_tensor(f"{cand.b}@ita", (tiles(cand.n) * tiles(cand.k) * TILE_BYTES,), np.int8, weight_tiles(w))
            if planner_bias is not None:
                bias_name = ctx.new_tensor(f"{cand.name}@ita.bias", (tiles(cand.n) * BIAS_BYTES,), np.uint8,
                                           packed_bias(planner_bias, cand.n))  # fmt: skip
        prep_steps: list[c.KernelCall] = []
        runtime_bias = None
        if cand.a_prep:
            x = cand.a_reads[0].tensor
            if not fold_offset(ctx.network, x):
                prep_steps.append(UnsignedOffsetCall(x, graph.tensor(x).size))
            if not cand.b_const:
                per_head = tiles(cand.n) * BIAS_BYTES
                runtime_bias = ctx.new_tensor(f"{cand.name}@ita.rtbias", (cand.batches * per_head,), np.uint8)
                prep_steps += bias_calls(cand, runtime_bias)
        per_batch = cand.m * cand.n * cand.k
        for h, (a_read, b_read, out) in enumerate(zip(cand.a_reads, cand.b_reads, cand.out_writes)):
            inp = _gather(a_read)
            if cand.b_const:
                w_op = ItaOperand(weight, 0, tiles(cand.k), cand.n, cand.k, True)
            else:
                w_op = _gather(b_read)
            bias, bias_offset = bias_name, 0
            if runtime_bias is not None:
                bias, bias_offset = runtime_bias, h * tiles(cand.n) * BIAS_BYTES
            if cand.transposed_out:  # V^T = W^T . X^T: the weight tiles stream as the input
                calls.append(ItaMatmulCall(w_op, inp, bias, bias_offset, True, out.tensor, out.offset, out.ld,
                                           cand.n, cand.m, cand.k, rq.eps_mult, rq.right_shift, rq.add, per_batch))  # fmt: skip
            else:
                calls.append(ItaMatmulCall(inp, w_op, bias, bias_offset, False, out.tensor, out.offset, out.ld,
                                           cand.m, cand.n, cand.k, rq.eps_mult, rq.right_shift, rq.add, per_batch))  # fmt: skip
        calls = batched(calls)
        if prep_steps:
            layers.append(Layer(f"{cand.name} (ITA operand prep)", CORES, (), ("ITAPrep",), [tuple(prep_steps)]))
        layers.append(self._layer(cand.group, absorbed, [tuple(calls)], ctx))
        return layers if len(layers) > 1 else layers[0]

    def _attention(self, fused, ctx: LoweringContext, absorbed: list[str]) -> Layer:
        qk, av = fused.qk, fused.av
        calls = []
        for q, k, vt, out in zip(qk.a_reads, qk.b_reads, av.b_reads, av.out_writes):
            calls.append(ItaAttentionCall(_gather(q), _gather(k), _gather(vt), out.tensor, out.offset, out.ld, qk.m, qk.k,
                                          (qk.requant.eps_mult, qk.requant.right_shift, qk.requant.add),
                                          (av.requant.eps_mult, av.requant.right_shift, av.requant.add)))  # fmt: skip
        layer = self._layer(av.group, absorbed, [tuple(calls)], ctx, extra_groups=(qk.group, fused.softmax))
        layer.name = f"{av.name} (QK+softmax+AV)"
        return layer


def batched(calls: list[ItaMatmulCall]) -> list[c.KernelCall]:
    """Per-matrix calls (heads) as one call with a batch when they differ only by constant steps
    in their operands' offsets (one ITA job stream instead of one per head)."""
    if len(calls) < 2:
        return list(calls)
    first, second = calls[0], calls[1]

    def offsets(call):
        return (call.inp.offset, call.w.offset, call.bias_offset, call.out_offset)

    steps = tuple(b - a for a, b in zip(offsets(first), offsets(second)))
    same = all(
        replace(call, inp=replace(call.inp, offset=first.inp.offset), w=replace(call.w, offset=first.w.offset),
                bias_offset=first.bias_offset, out_offset=first.out_offset) == first
        and tuple(b - a for a, b in zip(offsets(first), offsets(call))) == tuple(s * n for s in steps)
        for n, call in enumerate(calls)
    )  # fmt: skip
    if not same:
        return list(calls)
    return [replace(first, batch=len(calls), in_step=steps[0], w_step=steps[1], bias_step=steps[2], out_step=steps[3])]


def _bias_of(cand: MatmulCandidate, graph: Graph) -> np.ndarray | None:
    bias = None if cand.bias is None else cand.bias.copy()
    if cand.a_offset_input and cand.b_const:
        w = graph.tensor(cand.b).data.reshape(cand.k, cand.n).astype(np.int64)
        correction = 128 * w.sum(axis=0)
        bias = correction if bias is None else bias + correction
    return bias


# ---------------------------------------------------------------- the L1 region


@dataclass(frozen=True)
class ItaRegion:
    in_slots: int
    w_slots: int
    logits_bytes: int

    @property
    def bytes(self) -> int:
        return (STATE_BYTES + (self.in_slots + self.w_slots + OUT_SLOTS) * TILE_BYTES + BIAS_SLOTS * BIAS_SLOT_BYTES
                + self.logits_bytes)  # fmt: skip


def ita_calls(network: LoweredNetwork) -> list[c.KernelCall]:
    return [call for layer in network.layers if layer.engine == ITA for call in layer.calls()]


def minimal_region(network: LoweredNetwork) -> ItaRegion | None:
    """Two slots per operand and the largest query group's logits; None without ITA layers."""
    found = ita_calls(network)
    if not found:
        return None
    logits = max((TILE * call.s for call in found if isinstance(call, ItaAttentionCall)), default=0)
    return ItaRegion(2, 2, logits)


def size_region(network: LoweredNetwork, free_bytes: int) -> ItaRegion | None:
    """The minimal region grown by the L1 bytes nobody else uses: input slots up to the longest
    inner dimension (a row of input tiles stays for every output column tile), then weight slots
    up to the largest weight (it stays for every row tile)."""
    base = minimal_region(network)
    if base is None:
        return None
    found = ita_calls(network)
    want_in, want_w = 2, 2
    for call in found:
        if isinstance(call, ItaMatmulCall):
            want_in = max(want_in, tiles(call.k))
            want_w = max(want_w, tiles(call.n) * tiles(call.k))
        else:
            want_in = max(want_in, tiles(call.p))
            want_w = max(want_w, tiles(call.s) * tiles(call.p))
    spare = max(0, free_bytes) // TILE_BYTES
    extra_in = min(spare, min(want_in, MAX_SLOTS) - 2)
    spare -= extra_in
    extra_w = min(spare, min(want_w, MAX_SLOTS) - 2)
    return ItaRegion(2 + extra_in, 2 + extra_w, base.logits_bytes)
