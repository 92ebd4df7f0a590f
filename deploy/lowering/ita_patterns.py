"""Graph-side analysis for ITA: which node groups ITA runs, bit for bit, and how it reaches their operands.

ITA computes `out = requant(in . w^T + bias)` on 64 x 64 int8 tiles (docs/ita-layouts.md). The graph
writes the same arithmetic as MatMul [+ Add of an int32 bias] + RequantShift (fusion.py's layer
groups). A group runs on ITA only if ITA's numbers are exactly the graph's for every input:

- requantization: RequantShift computes clip(((acc*mul + add + 2^(D-1)) wrapped to int32) >> D);
  ITA clip_int8(floor(eps_mult*acc / 2^right_shift + 0.5) + add) with eps_mult u8, right_shift u8,
  add i8 (iss/ita/requant.py). Equal when mul and add are one value each (not per channel), add is
  a multiple of 2^D with add/2^D in int8, mul <= 255 after removing common factors of two
  (mul/2^D = (mul/2)/2^(D-1) exactly, rounding included), n_levels is 256, and the graph's int32
  never wraps: max|acc| * mul + |add| + 2^(D-1) < 2^31, with max|acc| bounded from the constant
  weights and bias (or, for an activation operand, the type ranges) over *every* input. The
  bound also keeps ITA's 26-bit accumulator exact (< 2^25) and the bias must fit 24 bits;
- an unsigned RequantShift (uint8, e.g. QuantLib's integer ReLU) has no int8 image on ITA, except
  as `y - 128` (ITA's add lowered by 128) when every consumer is an ITA step with constant
  weights: that step then reads int8 `u - 128` and adds 128 * sum_k W[k, n] to its bias, which
  restores the graph's accumulator exactly;
- an unsigned input produced on the cores (the probabilities of a softmax that stays on the
  cores) is turned into `u - 128` in place by the cores (x ^ 0x80) and the bias restores the
  product: 128 * sum_k W[k, n], computed at run time when W is an activation (V in A.V);
- softmax: the graph's ITAMax is Deeploy's whole-row variant, ITAPartialMax Deeploy's streaming
  variant scaled to 127 (both checked against iss.ita.softmax); ITA runs the variant it is
  configured with (iss.ita.SoftmaxVariant; the simulated ITA of the paper's time is `ita-paper`).
  QK, softmax and A.V are fused into one SingleAttention head only when the variants are equal
  (and S is a multiple of 64: ITA has no masking, padded keys would enter the denominator);
  otherwise QK and A.V run on ITA as Linear steps and the softmax runs on the cores;
- i-GELU: ITA's (RTL ita_gelu.sv) is not the graph's iGELU (QuantLib/Deeploy: different
  polynomial evaluation and output scale), so GELU always stays on the cores;
- shapes: ITA's TILES register has 4-bit tile counts, so the inner dimension is at most 15 tiles
  (960); longer rows and columns are cut into several sequences.

Operands: every activation operand is traced back through Reshape / Transpose / single-index
Gather / Squeeze ... to the tensor that owns the bytes, as a strided view (offset and strides in
elements). ITA's input operand needs (m, k) with k contiguous and its weight operand (n, k) with k
contiguous: then the DMA gathers each tile with one 2-D transfer (deploy/csrc/deploy_ita.c), and
the head split (Reshape + Transpose to [1, H, S, P]) costs nothing. A Transpose whose every reader
is such an ITA step is absorbed (never computed). When the weight operand has its other axis
contiguous (V in A.V: [S, P] per head), the projection that produces it computes it transposed
(ITA's V step: input W_v^T tiles, weight X, bias per row), so V^T is [H*P, S] in memory. An ITA
step whose only consumer is a Transpose (the head merge) writes through it, strided.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from deploy.graph import Graph, Node
from deploy.lowering.fusion import NodeGroup, group_layers

TILE = 64
MAX_TILES = 15
"""ITA's TILES register holds 4-bit tile counts: at most 15 tiles along a sequence's inner dimension."""
ACC_LIMIT = 1 << 25
"""ITA's accumulator is 26 bits, signed."""
BIAS_MIN, BIAS_MAX = -(1 << 23), (1 << 23) - 1
INT32_LIMIT = 1 << 31

VIEW_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})
SOFTMAX_VARIANTS = {
    "ITAMax": "deeploy-itamax",
    "ITAPartialMax": "deeploy-itapartialmax",
}
"""Graph softmax operator -> the iss.ita.SoftmaxVariant value it computes (iSoftmax: none)."""


def tiles(n: int) -> int:
    return -(-n // TILE)


# ---------------------------------------------------------------- strided views


@dataclass(frozen=True)
class Strided:
    """Elements of `base` (a tensor that owns bytes): element idx at offset + sum(idx * strides)."""

    base: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]

    def transpose(self, perm) -> Strided:
        return replace(self, shape=tuple(self.shape[p] for p in perm), strides=tuple(self.strides[p] for p in perm))

    def take(self, axis: int, index: int) -> Strided:
        return Strided(self.base, self.offset + index * self.strides[axis], self.shape[:axis] + self.shape[axis + 1 :],
                       self.strides[:axis] + self.strides[axis + 1 :])  # fmt: skip

    def reshape(self, shape: tuple[int, ...]) -> Strided | None:
        """The same elements in C order as `shape`, without copying (None if impossible)."""
        new = tuple(int(n) for n in shape)
        if int(np.prod(self.shape, dtype=np.int64)) != int(np.prod(new, dtype=np.int64)):
            return None
        # runs of old dims that are contiguous with each other: [size, stride of the innermost]
        runs: list[list[int]] = []
        for n, s in zip(self.shape, self.strides):
            if n == 1:
                continue
            if runs and runs[-1][1] == s * n:
                runs[-1] = [runs[-1][0] * n, s]
            else:
                runs.append([n, s])
        strides: list[int] = []
        r, remaining, inner = -1, 1, 1
        for n in new:
            if n == 1:
                strides.append(0)
                continue
            if remaining == 1:
                r += 1
                remaining, inner = runs[r]
            if remaining % n:
                return None
            remaining //= n
            strides.append(inner * remaining)
        return Strided(self.base, self.offset, new, tuple(strides))


def row_major(shape) -> tuple[int, ...]:
    strides, acc = [], 1
    for n in reversed(tuple(shape)):
        strides.append(acc)
        acc *= n
    return tuple(reversed(strides))


def transposed_strides(shape) -> tuple[int, ...] | None:
    """Strides of a [.., R, C] tensor (leading dims 1) kept as its transpose C x R in memory."""
    if len(shape) < 2 or any(n != 1 for n in shape[:-2]):
        return None
    rows = shape[-2]
    return (0,) * (len(shape) - 2) + (1, rows)


# ---------------------------------------------------------------- requantization


@dataclass(frozen=True)
class ItaRequant:
    eps_mult: int
    right_shift: int
    add: int


def requant_for_ita(mul: int, add: int, log2d: int, n_levels: int, signed: bool, bound: int,
                    offset_out: bool = False) -> tuple[ItaRequant | None, str]:  # fmt: skip
    """ITA's requantization equal to RequantShift(mul, add, log2d) on every accumulator with
    |acc| <= bound, or (None, why not). `offset_out`: an unsigned RequantShift written as y - 128."""
    if n_levels != 256:
        return None, f"n_levels {n_levels} (ITA writes int8)"
    if not signed and not offset_out:
        return None, "unsigned output (ITA writes int8)"
    if mul < 0:
        return None, f"negative multiplier {mul}"
    scale = 1 << log2d
    if add % scale:
        return None, f"add {add} is not a multiple of 2^{log2d} (ITA adds after the shift)"
    units = add // scale - (128 if offset_out else 0)
    if not -128 <= units <= 127:
        return None, f"add {add}/2^{log2d} does not fit ITA's int8 add"
    rounding = scale >> 1
    if bound * mul + abs(add) + rounding >= INT32_LIMIT:
        return None, f"the graph's int32 requantization can wrap (|acc| up to {bound}, mul {mul}); ITA's does not"
    if bound >= ACC_LIMIT:
        return None, f"|acc| up to {bound} exceeds ITA's 26-bit accumulator"
    m, shift = mul, log2d
    while m > 255 and m % 2 == 0 and shift > 0:
        m, shift = m // 2, shift - 1
    if m > 255:
        return None, f"multiplier {mul}/2^{log2d} has no 8-bit eps_mult (ITA's register is u8)"
    return ItaRequant(m, shift, units), ""


def uniform(values: np.ndarray) -> int | None:
    flat = np.asarray(values).ravel()
    if flat.size == 0 or np.any(flat != flat[0]):
        return None
    return int(flat[0])


# ---------------------------------------------------------------- candidates


@dataclass
class Operand:
    """How ITA reads one operand of one batch element: GATHER (strided, k contiguous) or a constant."""

    tensor: str  # base tensor (owns the bytes) or, for constants, the graph constant
    offset: int = 0  # elements
    ld: int = 0  # elements between rows (n or m)
    rows: int = 0
    cols: int = 0
    constant: bool = False


@dataclass
class MatmulCandidate:
    group: NodeGroup
    matmul: Node
    add: Node | None
    rq: Node
    a: str
    b: str
    out: str
    batch: tuple[int, ...]
    m: int
    n: int
    k: int
    b_const: bool
    bias: np.ndarray | None  # int64 [N] from the graph's Add (None: no Add)
    mul: int | None
    rq_add: int | None
    reason: str = ""
    # filled by the planner
    requant: ItaRequant | None = None
    a_reads: list[Operand] = field(default_factory=list)
    b_reads: list[Operand] = field(default_factory=list)
    out_writes: list[Operand] = field(default_factory=list)
    a_offset_input: bool = False  # A is read as u - 128 (uint8 in the graph)
    a_prep: bool = False  # the cores turn A into u - 128 first
    offset_out: bool = False  # an unsigned output written as y - 128
    transposed_out: bool = False  # output kept transposed in memory (V^T)
    absorbed: list[str] = field(default_factory=list)  # Transpose nodes this step reads/writes through
    a_traced: list[str] = field(default_factory=list)
    b_traced: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.group.name

    @property
    def batches(self) -> int:
        return int(np.prod(self.batch, dtype=np.int64)) if self.batch else 1


@dataclass
class FusedAttention:
    qk: MatmulCandidate
    softmax: NodeGroup
    av: MatmulCandidate
    variant: str


@dataclass
class Decision:
    kind: str  # "matmul", "attention", "absorbed"
    candidate: MatmulCandidate | None = None
    fused: FusedAttention | None = None
    into: str = ""  # absorbed: the group whose layer does its work


@dataclass
class ItaPlan:
    decisions: dict[str, Decision]  # by the first node's name of a group
    layouts: dict[str, tuple[int, ...]]  # base tensor -> strides when not row-major (V^T)
    notes: list[str]

    def decision(self, group: NodeGroup) -> Decision | None:
        return self.decisions.get(group.nodes[0].name)


def _key(group: NodeGroup) -> str:
    return group.nodes[0].name


class Planner:
    """Decides, once per graph, what ITA runs (see the module docstring)."""

    def __init__(self, graph: Graph, softmax_variant: str):
        self.graph = graph
        self.variant = softmax_variant
        self.groups = group_layers(graph)
        self.producer: dict[str, Node] = {o: n for n in graph.nodes for o in n.outputs}
        self.consumers: dict[str, list[Node]] = {}
        for node in graph.nodes:
            for name in node.inputs:
                self.consumers.setdefault(name, []).append(node)
        self.group_of: dict[str, NodeGroup] = {n.name: g for g in self.groups for n in g.nodes}
        self.outputs = set(graph.outputs)
        self.notes: list[str] = []
        self.layouts: dict[str, tuple[int, ...]] = {}
        self.stops: set[str] = set()  # outputs of Transposes an ITA step writes through

    # ------------------------------------------------------------ helpers

    def t(self, name: str):
        return self.graph.tensor(name)

    def trace(self, name: str) -> tuple[Strided, list[str]]:
        """The bytes behind tensor `name`: (strided view of its base, Transpose nodes passed). Stops
        where a reshape of a strided view is not a view (the tensor there is computed and read)."""
        node = self.producer.get(name)
        tensor = self.t(name)
        if node is None or not self._viewish(node) or name in self.stops:
            strides = self.layouts.get(name, row_major(tensor.shape))
            return Strided(name, 0, tuple(tensor.shape), strides), []
        inner, passed = self.trace(node.inputs[0])
        if node.op_type == "Transpose":
            perm = node.attrs.perm or tuple(reversed(range(len(inner.shape))))
            return inner.transpose(perm), passed + [node.name]
        if node.op_type == "Gather":
            index = int(np.asarray(self.t(node.inputs[1]).data).ravel()[0])
            axis = node.attrs.axis % len(inner.shape)
            index = index + inner.shape[axis] if index < 0 else index
            view = inner.take(axis, index).reshape(tuple(tensor.shape))
        else:
            view = inner.reshape(tuple(tensor.shape))
        if view is None:  # not a view of the bytes behind: read this tensor (the cores make it)
            return Strided(name, 0, tuple(tensor.shape), row_major(tensor.shape)), []
        return view, passed

    def _viewish(self, node: Node) -> bool:
        if node.op_type in VIEW_OPS or node.op_type == "Transpose":
            return True
        if node.op_type == "Gather":
            indices = self.t(node.inputs[1])
            return indices.is_constant and indices.size == 1
        return False

    def readers(self, name: str) -> list[tuple[Node, str]]:
        """Non-view nodes reading `name` through view-ish nodes, with the tensor they read; graph
        outputs reached are reported as (None, name)."""
        found = []
        if name in self.outputs:
            found.append((None, name))
        for node in self.consumers.get(name, []):
            if self._viewish(node) and node.inputs[0] == name:
                found += self.readers(node.outputs[0])
            else:
                found.append((node, name))
        return found

    # ------------------------------------------------------------ candidates

    def candidate(self, group: NodeGroup) -> MatmulCandidate | None:
        ops = group.op_types
        if ops not in (("MatMul", "RequantShift"), ("MatMul", "Add", "RequantShift")):
            return None
        mm, rq = group.nodes[0], group.nodes[-1]
        add = group.nodes[1] if len(group.nodes) == 3 else None
        a, b = mm.inputs
        ta, tb, tout = self.t(a), self.t(b), self.t(rq.outputs[0])
        n = tb.shape[-1]
        k = ta.shape[-1]
        m = ta.shape[-2] if len(ta.shape) >= 2 else 1
        batch = tuple(tout.shape[:-2])
        b_const = tb.is_constant
        cand = MatmulCandidate(group, mm, add, rq, a, b, rq.outputs[0], batch, m, n, k, b_const, None, None, None)
        if b_const and int(np.prod(tb.shape[:-2], dtype=np.int64)) != 1:
            cand.reason = "batched constant weights"
            return cand
        if str(tb.dtype) != "int8" or str(ta.dtype) not in ("int8", "uint8"):
            cand.reason = f"operand types {ta.dtype} x {tb.dtype} (ITA: int8 weights, int8 inputs)"
            return cand
        if add is not None:
            other = next(i for i in add.inputs if i != mm.outputs[0])
            bias = self.t(other)
            if not bias.is_constant:
                cand.reason = "bias is not a constant"
                return cand
            flat = np.broadcast_to(bias.data, tout.shape) if bias.size > 1 else None
            if flat is not None:
                rows = flat.reshape(-1, n)
                if np.any(rows != rows[:1]):
                    cand.reason = "bias varies along the rows"
                    return cand
                cand.bias = rows[0].astype(np.int64)
            else:
                cand.bias = np.full(n, int(np.asarray(bias.data).ravel()[0]), np.int64)
        mul, radd = (self.t(i) for i in rq.inputs[1:])
        if not (mul.is_constant and radd.is_constant):
            cand.reason = "requantization parameters are not constants"
            return cand
        cand.mul, cand.rq_add = uniform(mul.data), uniform(radd.data)
        if cand.mul is None or cand.rq_add is None:
            cand.reason = "per-channel requantization (ITA has one set per step)"
            return cand
        if tiles(k) > MAX_TILES:
            cand.reason = f"inner dimension {k} > {MAX_TILES * TILE} ({MAX_TILES} tiles of ITA's 4-bit TILES field)"
            return cand
        return cand

    def bound(self, cand: MatmulCandidate, a_max: int, a_is_probability: bool) -> int:
        """max |acc| over every input (the graph's accumulator = ITA's)."""
        bias = np.abs(cand.bias) if cand.bias is not None else np.zeros(cand.n, np.int64)
        if cand.b_const:
            w = np.abs(self.t(cand.b).data.reshape(cand.k, cand.n).astype(np.int64))
            if a_is_probability:  # sum_j p_j <= 255 per row: |acc| <= 255 * max|w|
                return int((255 * w.max(axis=0) + bias).max())
            return int((a_max * w.sum(axis=0) + bias).max())
        if a_is_probability:
            return 255 * 128 + int(bias.max(initial=0))
        return cand.k * a_max * 128 + int(bias.max(initial=0))

    def is_probability(self, name: str) -> bool:
        node = self.producer.get(name)
        return node is not None and node.op_type in SOFTMAX_VARIANTS and node.attrs.n_levels == 256

    # ------------------------------------------------------------ the plan

    def plan(self) -> ItaPlan:
        cands = {}
        for group in self.groups:
            c = self.candidate(group)
            if c is None:
                continue
            if c.reason:
                self.notes.append(f"{c.name}: on the cores ({c.reason})")
                continue
            cands[_key(group)] = c
        dropped: dict[str, str] = {}
        fused: dict[str, FusedAttention] = {}
        while self._pass(cands, fused, dropped):
            pass
        decisions: dict[str, Decision] = {}
        for key, c in cands.items():
            decisions[key] = Decision("matmul", candidate=c)
        for f in fused.values():
            decisions[_key(f.av.group)] = Decision("attention", fused=f)
            decisions[_key(f.qk.group)] = Decision("absorbed", into=f.av.name)
            decisions[_key(f.softmax)] = Decision("absorbed", into=f.av.name)
        for name, layer in self._absorbed_transposes(cands, fused).items():
            decisions[name] = Decision("absorbed", into=layer)
        for key, why in dropped.items():
            self.notes.append(f"{self.group_of[key].name}: on the cores ({why})")
        for group in self.groups:
            node = group.nodes[0]
            if len(group.nodes) == 1 and node.op_type in ("ITAMax", "ITAPartialMax", "iSoftmax"):
                if _key(group) not in decisions:
                    self.notes.append(f"{node.name}: on the cores ({self._softmax_reason(node)})")
            elif node.op_type == "iGELU":
                self.notes.append(f"{node.name}: on the cores (ITA's i-GELU is not the graph's iGELU bit for bit)")
        return ItaPlan(decisions, dict(self.layouts), self.notes)

    def _softmax_reason(self, node: Node) -> str:
        graph_variant = SOFTMAX_VARIANTS.get(node.op_type)
        if graph_variant is None:
            return f"{node.op_type} is not a softmax ITA implements"
        if node.attrs.n_levels != 256:
            return f"n_levels {node.attrs.n_levels}"
        if graph_variant != self.variant:
            return (f"the graph's {node.op_type} is the {graph_variant} variant, the configured ITA computes "
                    f"{self.variant}; --ita-softmax {graph_variant} runs it on ITA")  # fmt: skip
        return "its QK or A.V step cannot run fused on ITA (shapes, requantization or operands)"

    def _matmul_reader(self, node: Node | None, cands: dict[str, MatmulCandidate]) -> MatmulCandidate | None:
        if node is None or node.op_type != "MatMul":
            return None
        return cands.get(_key(self.group_of[node.name]))

    def _pass(self, cands: dict[str, MatmulCandidate], fused: dict[str, FusedAttention], dropped: dict[str, str]) -> bool:
        """One round over the candidates; True if one was dropped (then the round is repeated)."""

        def drop(c: MatmulCandidate, why: str) -> bool:
            dropped[_key(c.group)] = why
            del cands[_key(c.group)]
            return True

        by_out = {c.out: c for c in cands.values()}
        # outputs written through their only reader, a Transpose: its output owns the bytes
        self.stops = set()
        for c in cands.values():
            users = self.consumers.get(c.out, [])
            if len(users) == 1 and users[0].op_type == "Transpose" and c.out not in self.outputs:
                self.stops.add(users[0].outputs[0])
        # V^T: a projection read as a weight with its other axis contiguous is kept transposed
        self.layouts = {}
        for c in cands.values():
            if c.b_const:
                continue
            view, _ = self.trace(c.b)
            if view.strides[-2] == 1 or view.strides[-1] != 1:
                continue
            producer = by_out.get(view.base)
            if producer is None or not producer.b_const or producer.batches != 1 or view.base in self.outputs:
                continue
            strides = transposed_strides(self.t(view.base).shape)
            if strides is not None:
                self.layouts[view.base] = strides
        for c in list(cands.values()):
            why = self._resolve(c, by_out)
            if why:
                return drop(c, why)
        # a base kept transposed is read by ITA steps only
        for base in self.layouts:
            for node, _ in self.readers(base):
                if self._matmul_reader(node, cands) is None:
                    return drop(by_out[base], "its output is read by the cores too (ITA would keep it transposed)")
        for c in list(cands.values()):
            # an unsigned output: every reader an ITA step with constant weights taking it as input
            if c.offset_out:
                for node, name in self.readers(c.out):
                    reader = self._matmul_reader(node, cands)
                    if reader is None or not reader.b_const or node.inputs[0] != name:
                        return drop(c, "unsigned output read by the cores (ITA writes int8)")
            # an unsigned input made on the cores: offset in place, so this step must be its only reader
            if c.a_prep:
                base = self.trace(c.a)[0].base
                readers = self.readers(base)
                if len(readers) != 1 or readers[0][0] is not c.matmul:
                    return drop(c, "its unsigned input has other readers (the cores offset it in place for ITA)")
        # fused attention: QK -> softmax -> A.V when ITA computes the graph's softmax
        fused.clear()
        for c in list(cands.values()):
            f = self._fusable(c, cands)
            if f is not None:
                fused[_key(f.av.group)] = f
        for f in fused.values():
            cands.pop(_key(f.qk.group), None)
            cands.pop(_key(f.av.group), None)
        return False

    def _resolve(self, c: MatmulCandidate, by_out: dict[str, MatmulCandidate]) -> str:
        """Fill c's operand reads, output writes and requantization; '' or why ITA cannot run it."""
        ta, tout = self.t(c.a), self.t(c.out)
        a_unsigned = str(ta.dtype) == "uint8"
        c.a_reads, c.b_reads, c.out_writes, c.absorbed = [], [], [], []
        c.a_offset_input, c.a_prep = a_unsigned, False
        a_view, a_passed = self.trace(c.a)
        if self.t(a_view.base).is_constant:
            return "its input operand is not an activation ITA can gather"
        if a_unsigned:
            if by_out.get(a_view.base) is None:
                c.a_prep = True
                if a_view.base in self.graph.inputs or a_view.base in self.outputs:
                    return "unsigned input the cores cannot offset in place"
                if a_view.strides != row_major(self.t(a_view.base).shape) or a_view.offset:
                    return "unsigned input is a strided view"
            if not c.b_const and not self.is_probability(c.a):
                return "unsigned input times an activation"
        b_view, b_passed = (None, []) if c.b_const else self.trace(c.b)
        # output: the tensor itself, or written through its only reader, a Transpose
        c.transposed_out = c.out in self.layouts
        out_view = Strided(c.out, 0, tuple(tout.shape), self.layouts.get(c.out, row_major(tout.shape)))
        users = self.consumers.get(c.out, [])
        if len(users) == 1 and users[0].op_type == "Transpose" and users[0].outputs[0] in self.stops and not c.transposed_out:
            target = users[0].outputs[0]
            perm = users[0].attrs.perm or tuple(reversed(range(len(out_view.shape))))
            strides = [0] * len(perm)
            for d, p in enumerate(perm):
                strides[p] = row_major(self.t(target).shape)[d]
            if strides[-1] != 1:
                return "its output's only reader is a Transpose ITA cannot write through"
            out_view = Strided(target, 0, out_view.shape, tuple(strides))
            c.absorbed.append(users[0].name)
        for index in np.ndindex(*c.batch) if c.batch else [()]:
            a_b = self._batch(a_view, index)
            o_b = self._batch(out_view, index)
            if a_b.strides[-1] != 1:
                return "its input operand is not contiguous along the inner dimension"
            c.a_reads.append(Operand(a_b.base, a_b.offset, a_b.strides[-2], c.m, c.k))
            if c.transposed_out:
                c.out_writes.append(Operand(o_b.base, o_b.offset, o_b.strides[-1], c.n, c.m))
            else:
                if o_b.strides[-1] != 1:
                    return "its output is not contiguous along the columns"
                c.out_writes.append(Operand(o_b.base, o_b.offset, o_b.strides[-2], c.m, c.n))
            if c.b_const:
                c.b_reads.append(Operand(c.b, 0, 0, c.n, c.k, constant=True))
            else:
                b_b = self._batch(b_view, index)
                if b_b.strides[-2] != 1:  # element (n, k) = B[k, n]: k must be contiguous
                    return "its weight operand is not contiguous along the inner dimension"
                c.b_reads.append(Operand(b_b.base, b_b.offset, b_b.strides[-1], c.n, c.k))
        c.a_traced, c.b_traced = a_passed, b_passed
        c.offset_out = str(tout.dtype) == "uint8"
        bound = self.bound(c, 255 if a_unsigned else 128, a_unsigned and self.is_probability(c.a))
        attrs = c.rq.attrs
        c.requant, why = requant_for_ita(c.mul, c.rq_add, attrs.log2d, attrs.n_levels, attrs.signed, bound, c.offset_out)
        if c.requant is None:
            return why
        bias = self.ita_bias(c)
        if bias is not None and (bias.min() < BIAS_MIN or bias.max() > BIAS_MAX):
            return "bias does not fit ITA's 24 bits"
        if not c.b_const and c.a_offset_input and 128 * c.k * 128 > BIAS_MAX:
            return "run-time bias of the unsigned input does not fit 24 bits"
        return ""

    def ita_bias(self, c: MatmulCandidate) -> np.ndarray | None:
        """The constant bias ITA adds (graph bias + the unsigned-input correction), or None."""
        bias = None if c.bias is None else c.bias.copy()
        if c.a_offset_input and c.b_const:
            w = self.t(c.b).data.reshape(c.k, c.n).astype(np.int64)
            correction = 128 * w.sum(axis=0)
            bias = correction if bias is None else bias + correction
        return bias

    @staticmethod
    def _batch(view: Strided, index: tuple[int, ...]) -> Strided:
        """The 2-D matrix of batch element `index` (leading dims of 1 broadcast)."""
        lead = len(view.shape) - 2
        offset = view.offset
        pad = len(index) - lead
        for d in range(lead):
            if view.shape[d] != 1:
                offset += index[pad + d] * view.strides[d]
        return Strided(view.base, offset, view.shape[-2:], view.strides[-2:])

    def _fusable(self, c: MatmulCandidate, cands: dict[str, MatmulCandidate]) -> FusedAttention | None:
        if c.b_const or c.offset_out or c.out in self.outputs:
            return None
        users = self.consumers.get(c.out, [])
        if len(users) != 1:
            return None
        sm = users[0]
        if sm.op_type not in SOFTMAX_VARIANTS or sm.attrs.n_levels != 256 or SOFTMAX_VARIANTS[sm.op_type] != self.variant:
            return None
        probs = sm.outputs[0]
        av_users = self.consumers.get(probs, [])
        if len(av_users) != 1 or probs in self.outputs or av_users[0].op_type != "MatMul":
            return None
        av = cands.get(_key(self.group_of[av_users[0].name]))
        if av is None or av.a != probs or av.b_const or av.batch != c.batch or av.offset_out:
            return None
        s, p = c.m, c.k
        if c.n != s or av.k != s or av.n != p or s % TILE or tiles(s) > MAX_TILES or tiles(p) > MAX_TILES:
            return None
        return FusedAttention(c, self.group_of[sm.name], av, self.variant)

    def _absorbed_transposes(self, cands: dict[str, MatmulCandidate], fused: dict[str, FusedAttention]) -> dict[str, str]:
        """Transpose groups nothing needs computed -> {group key: name of the layer doing their work}:
        the head merge an ITA step writes through, and Transposes every reader of which is an ITA
        step reading through them."""
        steps: list[tuple[MatmulCandidate, str]] = [(c, c.name) for c in cands.values()]
        steps += [(x, f.av.name) for f in fused.values() for x in (f.qk, f.av)]
        traced = {c.matmul.name: set(c.a_traced + c.b_traced) for c, _ in steps}
        through: dict[str, str] = {}
        written: dict[str, str] = {}
        for c, layer in steps:
            for name in c.a_traced + c.b_traced:
                through.setdefault(name, layer)
            if c.absorbed:
                written[c.absorbed[0]] = layer
        result = {}
        for node in self.graph.nodes:
            if node.op_type != "Transpose":
                continue
            if node.name in written:
                result[node.name] = written[node.name]
            elif node.name in through and node.outputs[0] not in self.stops:
                if all(reader is not None and node.name in traced.get(reader.name, ())
                       for reader, _ in self.readers(node.outputs[0])):  # fmt: skip
                    result[node.name] = through[node.name]
        return result
