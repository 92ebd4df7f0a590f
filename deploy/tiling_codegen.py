"""C for one tiled kernel call (deploy/tiling.py): its DMA plan and its loop of phases.

    static const dtile_operand_t tile_3_0_ops[] = {...};    // per operand: home block, L1 slots
    static const dtile_plan_t tile_3_0 = {...};              // the grid
    ...
    for (uint32_t p = 0; p < tiles + 2; p++) {               // in layer_3()
        if (core == cores) dtile_dma_phase(&tile_3_0, p);    // store tile p-2, load tile p, wait
        else if (p >= 1 && p <= tiles) { kernel on tile p-1's slots (slot (p-1) & 1) }
        snrt_cluster_hw_barrier();
    }

The kernel is called with concrete sizes: one variant per distinct tile shape (the last row
and column tiles may be smaller), chosen by the tile's row and column index.
"""

from __future__ import annotations

from deploy.c_types import ctype
from deploy.lowering.calls import Ref
from deploy.tiling import IN_PLACE, LOAD, RESIDENT, SCRATCH, STORE, TiledCall

WORK = "network_l1_work"
ROLE_NAMES = {LOAD: "DTILE_LOAD", STORE: "DTILE_STORE", RESIDENT: "DTILE_RESIDENT", SCRATCH: "DTILE_SCRATCH"}


def tile_plan(call: TiledCall, symbol: str, ref: Ref) -> list[str]:
    """File-scope definitions of the call's DMA plan; `ref` gives each tensor's home pointer."""
    ch = call.choice
    rows_last, cols_last = call.tile_size(ch.row_tiles - 1, ch.col_tiles - 1)
    moved = [slot for slot in call.slots if slot.role != IN_PLACE]
    heading = (f"/* {call.kernel_name()} in {ch.tiles} tile{'s' if ch.tiles != 1 else ''} "
               f"({ch.batches} x {ch.row_tiles} x {ch.col_tiles}, {ch.rows} x {ch.cols}), {call.l1_bytes} B of L1 */")
    lines = [heading, f"static const dtile_operand_t {symbol}_ops[{max(len(moved), 1)}] = {{"]
    for slot in moved:
        block = slot.block
        home = f"(uint8_t *){ref(block.tensor)}" + (f" + {block.offset}" if block.offset else "")
        second = slot.offset + slot.bytes * (slot.count - 1)
        lines.append(
            f"    {{{home}, {{{WORK} + {slot.offset}, {WORK} + {second}}}, {block.ld}, {block.batch_step}, "
            f"{block.rows or 0}, {block.cols or 0}, {block.elem}, {ROLE_NAMES[slot.role]}}},"
        )
    grid = f"{ch.tiles}, {ch.row_tiles}, {ch.col_tiles}, {ch.rows}, {rows_last}, {ch.cols}, {cols_last}"
    lines += ["};", f"static const dtile_plan_t {symbol} = {{{grid}, {len(moved)}, {symbol}_ops}};", ""]
    return lines


def _slot_ref(call: TiledCall, network, home: Ref) -> Ref:
    """Tensor name -> the pointer the kernel gets for tile t: its L1 slot (s = t & 1), or for a
    block used in place, the block's first byte in the tensor (b and i are the tile's indices)."""
    pointers = {}
    for slot in call.slots:
        block = slot.block
        c_type = ctype(network.tensors[block.tensor].dtype)
        if slot.role == IN_PLACE:
            terms = [str(block.offset)] if block.offset else []
            if block.batch_step:
                terms.append(f"b * {block.batch_step}")
            if block.rows is None:
                terms.append(f"i * {call.choice.rows * block.ld}")
            where = f"(uint8_t *){home(block.tensor)}" + "".join(f" + {term}" for term in terms)
        else:
            where = f"{WORK} + {slot.offset}" + (f" + s * {slot.bytes}" if slot.count == 2 else "")
        pointers.setdefault(block.tensor, f"(({c_type} *)({where}))")
    return pointers.__getitem__


def tile_loop(call: TiledCall, symbol: str, network, home: Ref) -> list[str]:
    """The statements in the layer function that run the call tile by tile; `home` gives each
    tensor's own pointer."""
    ch = call.choice
    ref = _slot_ref(call, network, home)
    variants: dict[tuple[int, int], list[tuple[bool, bool]]] = {}
    for last_i in sorted({ch.row_tiles == 1, True}):
        for last_j in sorted({ch.col_tiles == 1, True}):
            size = call.tile_size(ch.row_tiles - 1 if last_i else 0, ch.col_tiles - 1 if last_j else 0)
            variants.setdefault(size, []).append((last_i, last_j))
    body = []
    if len(variants) == 1:
        (size,) = variants
        body.append(f"            {call.problem.make_call(*size).render(ref)}")
    else:
        body.append(f"            const int last_i = i == {ch.row_tiles - 1}, last_j = j == {ch.col_tiles - 1};")
        keyword = "if"
        for number, (size, cases) in enumerate(variants.items()):
            condition = " || ".join(f"(last_i == {int(a)} && last_j == {int(b)})" for a, b in cases)
            if number == len(variants) - 1:
                body.append("            else {")
            else:
                body.append(f"            {keyword} ({condition}) {{")
            body.append(f"                {call.problem.make_call(*size).render(ref)}")
            body.append("            }")
            keyword = "else if"
    indices = f"j = t % {ch.col_tiles}, i = (t / {ch.col_tiles}) % {ch.row_tiles}, b = t / {ch.row_tiles * ch.col_tiles}"
    return [
        f"    for (uint32_t p = 0; p < {ch.tiles + 2}; p++) {{ /* {symbol}: phase p stores tile p-2, loads tile p, computes tile p-1 */",
        "        if (core == cores) {",
        f"            dtile_dma_phase(&{symbol}, p);",
        f"        }} else if (p >= 1 && p <= {ch.tiles}) {{",
        "            const uint32_t t = p - 1, s = t & 1;",
        f"            const uint32_t {indices};",
        "            (void)s;",
        "            (void)i;",
        "            (void)j;",
        "            (void)b;",
        *body,
        "        }",
        "        snrt_cluster_hw_barrier();",
        "    }",
    ]
