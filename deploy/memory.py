"""Static memory allocation: every tensor gets a buffer at a fixed place before the program runs.

- Constants (weights, biases, requantization and norm parameters) are read-only data in L2.
- Each graph input has its own array `network_input_<k>` and each graph output its own array
  `network_output_<k>` (the layer that computes an output writes it there directly).
- Every other activation, and the layers' scratch buffers, live in one arena at a fixed offset.
  Offsets come from a greedy allocator over lifetimes: a buffer is live from the step that first
  writes it to the last step that reads it (steps are the barrier-separated phases of the layers,
  numbered through the whole network); two buffers may share bytes only if their lifetimes do
  not overlap. Buffers are placed largest first, each at the lowest 8-byte aligned offset that
  does not overlap a placed buffer with an overlapping lifetime (TFLite's "greedy by size").
- Views (Reshape, ...) are bytes of another buffer; a result may take its input's place when the
  kernel allows it in place (kernels.h: RequantShift s8/u8, iNoNorm, Add s32s32) and the input
  dies in that step.

Where the activations go: the arena and the input/output arrays go to L1 when they fit (L1 minus
the harts' stacks, ITA's minimal region and a reserve), else to L2. The L1 left over is the work
region: the tiling pass (deploy/tiling.py) stages every L2 operand of the cores' kernels through
it tile by tile with the DMA (weights always, activations when they are in L2), and the ITA
driver stages its tiles there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deploy.errors import DeployError
from deploy.lowering import LoweredNetwork

ALIGN = 8
ARENA_ALIGN = 16
L1_RESERVE = 1024
"""Bytes of L1 kept free besides the stacks (alignment padding, small runtime data)."""

CONST, INPUT, OUTPUT, ARENA = "const", "input", "output", "arena"
L1, L2 = "L1", "L2"


def align(value: int, to: int = ALIGN) -> int:
    return -(-value // to) * to


def nbytes(network: LoweredNetwork, name: str) -> int:
    tensor = network.tensors[name]
    return tensor.size * tensor.dtype.itemsize


@dataclass(frozen=True)
class Location:
    """Where a tensor's first byte is: `kind` CONST (offset 0 in its own array), INPUT/OUTPUT k,
    or ARENA at `offset`; `owner` is the tensor whose buffer it is (for CONST: its array)."""

    kind: str
    owner: str
    offset: int
    index: int = 0


@dataclass(frozen=True)
class Lifetime:
    first: int
    last: int

    def overlaps(self, other: Lifetime) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class MemoryPlan:
    locations: dict[str, Location]
    arena_bytes: int
    placement: str  # L1 or L2: where the arena and the input/output arrays are
    constant_bytes: int
    input_bytes: int
    output_bytes: int
    unshared_bytes: int  # what the arena would need without reuse
    l1_budget: int
    lifetimes: dict[str, Lifetime] = field(default_factory=dict)  # arena buffers, by owner
    in_place: list[tuple[str, str]] = field(default_factory=list)  # (result, input) sharing a buffer

    @property
    def activation_bytes(self) -> int:
        return self.arena_bytes + self.input_bytes + self.output_bytes

    @property
    def l1_bytes(self) -> int:
        return self.activation_bytes if self.placement == L1 else 0

    @property
    def l2_bytes(self) -> int:
        return self.constant_bytes + (self.activation_bytes if self.placement == L2 else 0)

    def summary(self) -> dict:
        return {
            "placement": self.placement,
            "constants_bytes": self.constant_bytes,
            "arena_bytes": self.arena_bytes,
            "arena_bytes_without_reuse": self.unshared_bytes,
            "input_bytes": self.input_bytes,
            "output_bytes": self.output_bytes,
            "l1_bytes": self.l1_bytes,
            "l1_budget_bytes": self.l1_budget,
            "l2_data_bytes": self.l2_bytes,
            "in_place": len(self.in_place),
        }


def _steps(network: LoweredNetwork):
    index = 0
    for layer in network.layers:
        for step in layer.steps:
            yield index, step
            index += 1


def allocate(network: LoweredNetwork, l1_budget: int, placement: str = "auto") -> MemoryPlan:
    """Locations of all tensors the layers use. `placement`: "auto" (L1 if it fits), "l1", "l2"."""
    if placement not in ("auto", "l1", "l2"):
        raise DeployError(f"placement must be auto, l1 or l2, got {placement!r}")
    steps = list(_steps(network))
    end = len(steps)
    root = network.root

    # lifetimes of the buffers that own bytes (roots of views)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for t, step in steps:
        for call in step:
            for name in call.reads():
                owner = root(name)[0]
                last[owner] = max(last.get(owner, -1), t)
            for name in call.writes():
                owner = root(name)[0]
                first.setdefault(owner, t)
                last[owner] = max(last.get(owner, -1), t)

    kinds: dict[str, tuple[str, int]] = {}
    for owner in set(first) | set(last):
        if network.tensors[owner].is_constant:
            kinds[owner] = (CONST, 0)
    for k, name in enumerate(network.inputs):
        kinds[root(name)[0]] = (INPUT, k)
    for k, name in enumerate(network.outputs):
        owner, offset = root(name)
        if offset or owner in kinds:
            raise DeployError(f"graph output '{name}' has no buffer of its own (internal error)")
        kinds[owner] = (OUTPUT, k)
    arena = [o for o in first if o not in kinds]
    unshared = sum(align(nbytes(network, o)) for o in arena)
    lifetime = {o: Lifetime(first[o], last.get(o, first[o])) for o in arena}

    # in place: a result takes its input's bytes when the input's buffer dies in that step
    host: dict[str, tuple[str, int]] = {}  # arena owner -> (arena owner it lives in, byte offset)

    def resolve(owner: str) -> tuple[str, int]:
        offset = 0
        while owner in host:
            owner, extra = host[owner]
            offset += extra
        return owner, offset

    in_place = []
    for t, step in steps:
        readers: dict[str, int] = {}
        for call in step:
            for name in call.reads():
                owner = resolve(root(name)[0])[0]
                readers[owner] = readers.get(owner, 0) + 1
        for call in step:
            for result, source in call.in_place():
                r_owner, r_offset = root(result)
                s_owner, s_offset = root(source)
                if r_owner not in lifetime or s_owner not in lifetime or r_offset:
                    continue
                s_host, s_base = resolve(s_owner)
                if r_owner == s_host or r_owner in host or readers.get(s_host) != 1:
                    continue
                if lifetime[r_owner].first != t or lifetime[s_host].last != t:
                    continue
                if nbytes(network, result) != nbytes(network, source) or nbytes(network, r_owner) != nbytes(network, result):
                    continue
                host[r_owner] = (s_host, s_base + s_offset)
                lifetime[s_host] = Lifetime(lifetime[s_host].first, max(lifetime[s_host].last, lifetime[r_owner].last))
                in_place.append((result, source))

    # greedy by size over the buffers that own arena bytes
    buffers = [o for o in arena if o not in host]
    buffers.sort(key=lambda o: (-nbytes(network, o), lifetime[o].first, o))
    offsets: dict[str, int] = {}
    placed: list[tuple[int, int, Lifetime]] = []
    for owner in buffers:
        size = align(max(nbytes(network, owner), 1))
        busy = sorted((start, stop) for start, stop, life in placed if life.overlaps(lifetime[owner]))
        offset = 0
        for start, stop in busy:
            if offset + size <= start:
                break
            offset = max(offset, align(stop))
        offsets[owner] = offset
        placed.append((offset, offset + size, lifetime[owner]))
    arena_bytes = align(max((stop for _, stop, _ in placed), default=0), ARENA_ALIGN)

    locations: dict[str, Location] = {}
    used = {n for _, step in steps for call in step for n in (*call.reads(), *call.writes())}
    used |= set(network.inputs) | set(network.outputs)
    for name in sorted(used):
        owner, offset = root(name)
        kind, index = kinds.get(owner, (ARENA, 0))
        if kind == ARENA:
            base_owner, base = resolve(owner)
            locations[name] = Location(ARENA, base_owner, offsets[base_owner] + base + offset)
        else:
            locations[name] = Location(kind, owner, offset, index)
    for name, location in locations.items():
        itemsize = network.tensors[name].dtype.itemsize
        if location.kind == ARENA and location.offset % min(itemsize, ALIGN):
            raise DeployError(f"tensor '{name}' would be misaligned at arena offset {location.offset}")

    constant_bytes = sum(align(nbytes(network, o)) for o, (kind, _) in kinds.items() if kind == CONST)
    input_bytes = sum(align(nbytes(network, n)) for n in network.inputs)
    output_bytes = sum(align(nbytes(network, n)) for n in network.outputs)
    fits_l1 = arena_bytes + input_bytes + output_bytes <= l1_budget
    if placement == "l1" and not fits_l1:
        raise DeployError(
            f"activations need {arena_bytes + input_bytes + output_bytes} B, more than the {l1_budget} B of L1 "
            "left after the stacks"
        )
    where = L1 if placement == "l1" or (placement == "auto" and fits_l1) else L2
    return MemoryPlan(locations, arena_bytes, where, constant_bytes, input_bytes, output_bytes, unshared, l1_budget,
                      {o: lifetime[o] for o in buffers}, in_place)  # fmt: skip


def check_plan(network: LoweredNetwork, plan: MemoryPlan) -> None:
    """Assert that no two arena tensors alive at the same step share bytes, except views of one
    buffer and declared in-place pairs (used by the tests)."""
    steps = list(_steps(network))
    live: dict[str, list[int]] = {}
    for t, step in steps:
        for call in step:
            for name in (*call.reads(), *call.writes()):
                live.setdefault(name, []).append(t)
    same = {frozenset(pair) for pair in plan.in_place}
    names = [n for n in live if plan.locations[n].kind == ARENA]
    spans = {n: (min(live[n]), max(live[n])) for n in names}
    for i, a in enumerate(names):
        la = plan.locations[a]
        ra = (la.offset, la.offset + nbytes(network, a))
        for b in names[i + 1 :]:
            lb = plan.locations[b]
            rb = (lb.offset, lb.offset + nbytes(network, b))
            if ra[0] >= rb[1] or rb[0] >= ra[1]:
                continue
            if network.root(a)[0] == network.root(b)[0] or frozenset((a, b)) in same:
                continue
            if la.owner == lb.owner and _related(network, plan, a, b):
                continue
            sa, sb = spans[a], spans[b]
            if sa[0] <= sb[1] and sb[0] <= sa[1]:
                raise AssertionError(f"'{a}' {ra} {sa} and '{b}' {rb} {sb} share bytes while both are live")


def _related(network: LoweredNetwork, plan: MemoryPlan, a: str, b: str) -> bool:
    """True if a and b are chained through in-place pairs (and views)."""
    pairs = {(network.root(x)[0], network.root(y)[0]) for x, y in plan.in_place}
    linked = {network.root(a)[0]}
    changed = True
    while changed:
        changed = False
        for x, y in pairs:
            if (x in linked) != (y in linked):
                linked |= {x, y}
                changed = True
    return network.root(b)[0] in linked


def lifetime_table(network: LoweredNetwork, plan: MemoryPlan) -> list[tuple[str, int, int, int, int]]:
    """(owner, offset, bytes, first step, last step) of the arena buffers, by offset."""
    rows = [(o, plan.locations[o].offset if o in plan.locations else 0, nbytes(network, o), life.first, life.last)
            for o, life in plan.lifetimes.items()]  # fmt: skip
    return sorted(rows, key=lambda r: (r[1], r[3]))


__all__ = ["ARENA", "CONST", "INPUT", "L1", "L2", "OUTPUT", "Location", "MemoryPlan", "allocate", "check_plan", "nbytes"]
