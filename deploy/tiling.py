"""L2 <-> L1 tiling of the compute cores' layers (the pass after the memory plan).

The cores read and write L1 in one cycle and L2 in ten (PLATFORM.md section 6). A kernel call
whose operands live in L2 (constants always; activations when the arena does not fit L1) is
run tile by tile instead: the DMA core stages each tile's operand blocks into L1 slots, double
buffered, and writes the result blocks back (deploy/csrc/deploy_tiles.h has the schedule).

- How a call splits is the kernel's business: deploy/tile_rules.py says, per call class, which
  grid (batches x rows x columns) it runs on, which block of each operand a tile needs, and the
  call that computes one tile from dense L1 blocks.
- `choose_tiles` picks a tile whose slots fit the L1 bytes left free (two slots per operand that
  changes from tile to tile, one for resident operands and scratch): whole rows of columns if
  possible, at least MIN_TILES row tiles so that the DMA overlaps most of the compute.
- The L1 work region is shared: ITA layers stage their tiles in it too (the ITA driver starts
  its slot caches afresh after a tiled call, `dtile_work_epoch`), so it is max(ITA's region, the
  largest tile set).
- A call without a rule, or whose smallest tile does not fit, stays as it is (its operands are
  read in place); the TilingReport lists them with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from deploy.lowering import LoweredNetwork
from deploy.lowering import calls as c
from deploy.lowering.network import CORES
from deploy.memory import CONST, L1, MemoryPlan, align
from deploy.tile_rules import (
    LOAD,
    RESIDENT,
    SCRATCH,
    STORE,
    Block,
    TileProblem,
    tile_problem,
)

IN_PLACE = "in place"
"""A block of a tensor that is in L1 already: the kernel gets a pointer into it, nothing moves."""

SLOT_ALIGN = 8
GOOD_ROWS = 16
"""Rows a tile should have before its columns are split: 8 cores x the GEMM's 2-row units."""
MIN_TILES = 4
"""Row tiles a call gets at least when it has the rows: with one tile the DMA core's first load and
last store run while the compute cores wait, with four they are a quarter of the data."""


@dataclass(frozen=True)
class TileChoice:
    rows: int  # rows of a row tile (the last one may have fewer)
    cols: int  # columns of a column tile
    row_tiles: int
    col_tiles: int
    batches: int

    @property
    def tiles(self) -> int:
        return self.batches * self.row_tiles * self.col_tiles


@dataclass(frozen=True)
class Slot:
    block: Block
    role: str  # LOAD / STORE / RESIDENT / SCRATCH / IN_PLACE
    offset: int  # bytes into the work region
    bytes: int  # of one slot
    count: int  # 1 or 2


@dataclass(frozen=True)
class TiledCall(c.KernelCall):
    """A compute-core kernel call run tile by tile through L1 (rendered as a loop by codegen)."""

    runs_on: ClassVar[str] = c.COMPUTE_CORES
    call: c.KernelCall
    problem: TileProblem
    choice: TileChoice
    slots: tuple[Slot, ...]
    l1_bytes: int

    @property
    def macs(self) -> int:
        return self.call.macs

    def reads(self):
        return self.call.reads()

    def writes(self):
        return self.call.writes()

    def in_place(self):
        return self.call.in_place()

    def kernel_name(self) -> str:
        return self.call.kernel_name()

    def unwrapped(self) -> c.KernelCall:
        return self.call

    def dma_bytes(self) -> int:
        """Bytes the DMA moves for this call (resident blocks once, the others per tile)."""
        ch, total = self.choice, 0
        for slot in self.slots:
            if slot.role in (SCRATCH, IN_PLACE):
                continue
            tiles = [(b, i, j) for b in range(ch.batches) for i in range(ch.row_tiles) for j in range(ch.col_tiles)]
            if slot.role == RESIDENT:
                tiles = tiles[:1]
            for _, i, j in tiles:
                rows, cols = self.tile_size(i, j)
                block = slot.block
                total += (block.rows or rows) * (block.cols or cols) * block.elem
        return total

    def tile_size(self, i: int, j: int) -> tuple[int, int]:
        ch, p = self.choice, self.problem
        rows = p.rows - (ch.row_tiles - 1) * ch.rows if i == ch.row_tiles - 1 else ch.rows
        cols = p.cols - (ch.col_tiles - 1) * ch.cols if j == ch.col_tiles - 1 else ch.cols
        return rows, cols


@dataclass
class TilingReport:
    tiled: int = 0  # kernel calls run through L1 tiles
    in_place: list[tuple[str, str, str]] = field(default_factory=list)  # (layer, kernel, why) of calls left reading L2
    work_bytes: int = 0  # the largest tile set's L1 bytes

    def summary(self) -> dict:
        return {"tiled_calls": self.tiled, "untiled_calls_reading_l2": len(self.in_place), "tile_l1_bytes": self.work_bytes}


def slot_bytes(block: Block, rows: int, cols: int) -> int:
    return align((block.rows or rows) * (block.cols or cols) * block.elem, SLOT_ALIGN)


def _roles(problem: TileProblem, choice: TileChoice, in_l1: frozenset[str] = frozenset()) -> list[str]:
    """Per block: IN_PLACE (its tensor is in L1: the kernel reads it where it is), RESIDENT (the
    same block for every tile), else the rule's role."""
    roles = []
    for block in problem.blocks:
        if block.tensor in in_l1:
            roles.append(IN_PLACE)
            continue
        varies = (block.rows is None and choice.row_tiles > 1) or (block.cols is None and choice.col_tiles > 1) or (
            block.batch_step != 0 and choice.batches > 1
        )
        roles.append(RESIDENT if block.role == LOAD and not varies else block.role)
    return roles


def _footprint(problem: TileProblem, choice: TileChoice, in_l1: frozenset[str] = frozenset()) -> int:
    total = 0
    for block, role in zip(problem.blocks, _roles(problem, choice, in_l1)):
        if role == IN_PLACE:
            continue
        count = 2 if role in (LOAD, STORE) and choice.tiles > 1 else 1
        total += count * slot_bytes(block, choice.rows, choice.cols)
    return total


def _even(total: int, size: int, quantum: int) -> tuple[int, int]:
    """(tiles, tile size) for `total` split into tiles of at most `size`, as even as the quantum allows."""
    count = -(-total // size)
    even = -(-total // count)
    even = min(size, -(-even // quantum) * quantum) if quantum > 1 else even
    return -(-total // even), even


def choose_tiles(problem: TileProblem, budget: int, in_l1: frozenset[str] = frozenset()) -> TileChoice | None:
    """The tile whose slots fit `budget` bytes (None if not even the smallest does): the widest
    one (column tiles make the blocks of B change from tile to tile) that still has GOOD_ROWS
    rows, else the one of most rows x columns. Columns are only split when the problem allows
    it (col_quantum > 0)."""
    widths = [problem.cols]
    if problem.col_quantum:
        width = problem.cols
        while width > problem.col_quantum:
            width = max(problem.col_quantum, -(-width // 2 // problem.col_quantum) * problem.col_quantum)
            widths.append(width)
    best: TileChoice | None = None
    for width in widths:
        col_tiles, width = _even(problem.cols, width, problem.col_quantum or 1)
        # footprint is affine in the rows: find the most rows that fit
        lo, hi = 0, problem.rows
        while lo < hi:
            mid = (lo + hi + 1) // 2
            trial = TileChoice(mid, width, -(-problem.rows // mid), col_tiles, problem.batches)
            if _footprint(problem, trial, in_l1) <= budget:
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:
            continue
        if col_tiles == 1:  # at least MIN_TILES row tiles where possible: the first load and the last store overlap nothing
            lo = min(lo, max(problem.row_quantum, -(-problem.rows // MIN_TILES)))
        if lo < problem.rows and lo >= problem.row_quantum:
            lo -= lo % problem.row_quantum
        row_tiles, rows = _even(problem.rows, lo, problem.row_quantum)
        choice = TileChoice(rows, width, row_tiles, col_tiles, problem.batches)
        if _footprint(problem, choice, in_l1) > budget:
            continue
        if rows >= min(problem.rows, GOOD_ROWS):
            return choice
        if best is None or rows * width > best.rows * best.cols:
            best = choice
    return best


def _home_in_l1(name: str, plan: MemoryPlan) -> bool:
    """Constants are in L2; activations where the plan put them all."""
    return plan.locations[name].kind != CONST and plan.placement == L1


def _needs_tiling(call: c.KernelCall, plan: MemoryPlan) -> bool:
    """True if the call touches L2."""
    return not all(_home_in_l1(name, plan) for name in (*call.reads(), *call.writes()))


def tile_call(call: c.KernelCall, network: LoweredNetwork, plan: MemoryPlan, budget: int) -> TiledCall | str:
    """The tiled form of `call`, or why it stays as it is. Operands already in L1 are used in
    place (their blocks are rows of the tensor, so then columns are not split)."""
    problem = tile_problem(call, network)
    if isinstance(problem, str):
        return problem
    missing = set(call.reads()) | set(call.writes())
    missing -= {block.tensor for block in problem.blocks}
    if missing:
        return f"the tiling rule has no block for '{min(missing)}' (internal error)"
    in_l1 = frozenset(b.tensor for b in problem.blocks if _home_in_l1(b.tensor, plan))
    if any(b.tensor in in_l1 and b.cols is None for b in problem.blocks):
        problem = replace(problem, col_quantum=0)
    choice = choose_tiles(problem, budget, in_l1)
    if choice is None:
        return f"its smallest tile needs more than the {budget} B of L1 left"
    slots, offset = [], 0
    for block, role in zip(problem.blocks, _roles(problem, choice, in_l1)):
        count = 2 if role in (LOAD, STORE) and choice.tiles > 1 else 1
        size = 0 if role == IN_PLACE else slot_bytes(block, choice.rows, choice.cols)
        slots.append(Slot(block, role, offset, size, count))
        offset += count * size
    return TiledCall(call, problem, choice, tuple(slots), offset)


def tile_network(network: LoweredNetwork, plan: MemoryPlan, budget: int) -> TilingReport:
    """Replace the cores' kernel calls that touch L2 by their tiled form, in place (the steps keep
    their calls and order, so the memory plan's lifetimes stay valid)."""
    report = TilingReport()
    for layer in network.layers:
        if layer.engine != CORES:
            continue
        steps = []
        for step in layer.steps:
            new_step = []
            for call in step:
                if call.runs_on != c.COMPUTE_CORES or not _needs_tiling(call, plan):
                    new_step.append(call)
                    continue
                tiled = tile_call(call, network, plan, budget)
                if isinstance(tiled, str):
                    report.in_place.append((layer.name, call.kernel_name(), tiled))
                    new_step.append(call)
                else:
                    report.tiled += 1
                    report.work_bytes = max(report.work_bytes, tiled.l1_bytes)
                    new_step.append(tiled)
            steps.append(tuple(new_step))
        layer.steps = steps
        layer.dma_bytes = sum(call.dma_bytes() for call in layer.calls() if isinstance(call, TiledCall))
    return report


__all__ = ["IN_PLACE", "LOAD", "RESIDENT", "SCRATCH", "STORE", "TileChoice", "TiledCall", "TilingReport", "choose_tiles", "tile_network"]
