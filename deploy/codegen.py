"""C code generation: network.h, network.c and main.c for a lowered, allocated network.

network.c
- the constants as read-only arrays (L2), the activation arena and the input/output arrays
  (`network_input_<k>`, `network_output_<k>`; in L1 or L2 as the memory plan says);
- one `#define t<i>` per tensor: its typed pointer (arena + offset, constant array, ...);
- one function per layer, `layer_<i>(core, cores)`, run by every hart: the compute cores
  (core < cores) make the layer's kernel calls, step after step with a hardware barrier between
  steps; the DMA core (core == cores) makes the ITA layers' driver calls (deploy/csrc/deploy_ita.c:
  it programs ITA and moves the tiles with the DMA) and joins the barriers;
- the L1 work region `network_l1_work`, shared by the layers one after the other: the ITA
  driver stages its tiles there (descriptor `dita_region`, sized by
  deploy.lowering.ita.size_region), the cores' tiled calls their operand slots (deploy/tiling.py);
- for every tiled call, its DMA plan (`tile_<layer>_<n>`, deploy/csrc/deploy_tiles.h) and a loop
  of phases in its layer function: the DMA core moves blocks, the compute cores run the kernel
  on the L1 slots, a barrier ends each phase;
- `run_network(after_layer)`: the layers in order, a hardware barrier after each, then
  `after_layer(i)` on every hart (NULL for none).

main.c copies the inputs from `input_data_<k>` (L2) into the network's input arrays, then runs
the network; core 0 reads mcycle after every layer barrier into `layer_cycles[]` and the total
into `network_cycles`. Outputs stay in `network_output_<k>` for the host to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deploy.c_types import ctype
from deploy.lowering import LoweredNetwork
from deploy.lowering.calls import COMPUTE_CORES, CORE0, DM_CORE
from deploy.memory import ARENA, CONST, INPUT, L1, MemoryPlan, nbytes
from deploy.tiling import TiledCall
from deploy.tiling_codegen import tile_loop, tile_plan

INLINE_ELEMENTS = 64
WIDE_INLINE_ELEMENTS = 4096
"""Arrays up to INLINE_ELEMENTS elements (WIDE_INLINE_ELEMENTS for elements wider than a byte) are
written as numbers, larger ones as byte strings (fast to compile: a 7 MB string takes GCC < 1 s)."""
BYTES_PER_LINE = 40


GUARDS = {COMPUTE_CORES: "core < cores", CORE0: "core == 0", DM_CORE: "core == cores"}
"""The condition under which a hart makes a call, by KernelCall.runs_on (`core` is the hart index;
the DMA core's index is `cores`)."""


def comment(text: str) -> str:
    return text.replace("*/", "*\\/")


def byte_string(data: bytes, indent: str = "    ") -> str:
    """A C string literal (octal escapes, exactly len(data) characters) split over lines."""
    if not data:
        return '""'
    lines = []
    for start in range(0, len(data), BYTES_PER_LINE):
        chunk = data[start : start + BYTES_PER_LINE]
        lines.append(indent + '"' + "".join(f"\\{b:03o}" for b in chunk) + '"')
    return "\n".join(lines)


def wrap(items: list[str], width: int = 100, indent: str = "    ") -> str:
    """Comma-separated items, on one line if short, else on lines of at most `width` characters."""
    text = ", ".join(items)
    if len(text) <= width - 40:
        return text
    lines, line = [], ""
    for item in items:
        if line and len(indent) + len(line) + len(item) + 2 > width:
            lines.append(indent + line.rstrip())
            line = ""
        line += item + ", "
    lines.append(indent + line.rstrip().rstrip(","))
    return "\n" + "\n".join(lines) + "\n"


def array_definition(qualifiers: str, name: str, values: np.ndarray) -> str:
    """`qualifiers <type> name[n] = ...;` 8-byte aligned: numbers for small arrays, a byte string
    (little-endian image) for large ones; wide large arrays become uint8_t byte arrays (the
    tensor macros cast every buffer to its element type anyway)."""
    flat = np.ascontiguousarray(values).ravel()
    aligned = "__attribute__((aligned(8)))"
    if flat.size <= INLINE_ELEMENTS or (flat.dtype.itemsize > 1 and flat.size <= WIDE_INLINE_ELEMENTS):
        return f"{qualifiers} {ctype(flat.dtype)} {name}[{max(flat.size, 1)}] {aligned} = {{{wrap([str(int(v)) for v in flat] or ['0'])}}};"
    raw = flat.astype(flat.dtype.newbyteorder("<")).tobytes()
    element = ctype(flat.dtype) if flat.dtype.itemsize == 1 else "uint8_t"
    return f"{qualifiers} {element} {name}[{len(raw)}] {aligned} =\n{byte_string(raw)};"


@dataclass
class Sources:
    network_h: str
    network_c: str
    main_c: str

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, text in (("network.h", self.network_h), ("network.c", self.network_c), ("main.c", self.main_c)):
            path = folder / name
            path.write_text(text)
            paths.append(path)
        return paths


def generate(network: LoweredNetwork, plan: MemoryPlan, inputs: Mapping[str, np.ndarray]) -> Sources:
    """`inputs`: the data of every graph input, by name (as the input tensor's type)."""
    return Sources(_header(network), _network_c(network, plan), _main_c(network, inputs))


def _io_declaration(network: LoweredNetwork, name: str, symbol: str) -> str:
    tensor = network.tensors[name]
    return f"{ctype(tensor.dtype)} {symbol}[{max(tensor.size, 1)}]"


def _header(network: LoweredNetwork) -> str:
    lines = [
        "/* Generated by deploy.codegen: the network's interface. */",
        "#ifndef NETWORK_H",
        "#define NETWORK_H",
        "",
        "#include <stdint.h>",
        "",
        f"#define NETWORK_NUM_LAYERS {len(network.layers)}",
        f"#define NETWORK_NUM_INPUTS {len(network.inputs)}",
        f"#define NETWORK_NUM_OUTPUTS {len(network.outputs)}",
        "",
    ]
    for k, name in enumerate(network.inputs):
        lines.append(f"/* graph input '{comment(name)}' {list(network.tensors[name].shape)} */")
        lines.append(f"extern {_io_declaration(network, name, f'network_input_{k}')};")
    for k, name in enumerate(network.outputs):
        lines.append(f"/* graph output '{comment(network.graph_outputs[k])}' {list(network.tensors[name].shape)} */")
        lines.append(f"extern {_io_declaration(network, name, f'network_output_{k}')};")
    lines += [
        "",
        "/* Runs every layer on every hart (compute cores and DMA core), a hardware barrier after each;",
        " * then after_layer(i) on every hart, if not NULL. */",
        "void run_network(void (*after_layer)(uint32_t layer));",
        "",
        "#endif",
        "",
    ]
    return "\n".join(lines)


def _network_c(network: LoweredNetwork, plan: MemoryPlan) -> str:
    section = "SNRT_L1_BSS " if plan.placement == L1 else ""
    engines = " and ".join(network.engines()) or "cores"
    region = network.ita_region
    work_bytes = network.work_region_bytes
    out = [
        f"/* Generated by deploy.codegen: {comment(network.name)}, {len(network.layers)} layers on the {engines}. */",
        "#include <stdint.h>",
        "",
        '#include "deploy_kernels.h"',
        *(['#include "deploy_ita.h"'] if region else []),
        '#include "deploy_tiles.h"',
        '#include "kernels.h"',
        '#include "network.h"',
        '#include "snrt.h"',
        "",
    ]
    if work_bytes:
        out += [
            f"/* ---- L1 work region ({work_bytes} B), used by one layer at a time: the cores' tiles "
            f"({network.tiling.work_bytes if network.tiling else 0} B at most)"
            + (f", ITA's {region.in_slots} input and {region.w_slots} weight tile slots, output and bias slots, "
               f"{region.logits_bytes} B of logits ({region.bytes} B)" if region else "") + " */",
            f"SNRT_L1_BSS static uint8_t network_l1_work[{work_bytes}] __attribute__((aligned(64)));",
        ]
        if region:
            out.append(f"static const dita_region_t dita_region = {{(int8_t *)network_l1_work, {region.in_slots}, "
                       f"{region.w_slots}, {region.logits_bytes}}};")
        out.append("")
    out += [
        f"/* ---- constants: {plan.constant_bytes} B, read-only in L2 */",
    ]
    constant_symbols: dict[str, str] = {}
    for index, tensor in enumerate(network.constants()):
        symbol = f"w{index}"
        constant_symbols[tensor.name] = symbol
        out.append(f"/* '{comment(tensor.name)}' {list(tensor.shape)} {tensor.dtype} */")
        out.append(array_definition("static const", symbol, tensor.data.astype(tensor.dtype)))
    out += [
        "",
        f"/* ---- activations in {plan.placement}: arena {plan.arena_bytes} B (without reuse {plan.unshared_bytes} B), "
        f"inputs {plan.input_bytes} B, outputs {plan.output_bytes} B */",
        f"{section}static uint8_t network_arena[{max(plan.arena_bytes, 16)}] __attribute__((aligned(16)));",
    ]
    for k, name in enumerate(network.inputs):
        out.append(f"{section}{_io_declaration(network, name, f'network_input_{k}')} __attribute__((aligned(8)));")
    for k, name in enumerate(network.outputs):
        out.append(f"{section}{_io_declaration(network, name, f'network_output_{k}')} __attribute__((aligned(8)));")

    out += ["", "/* ---- tensors: typed pointers to their buffers */"]
    macros: dict[str, str] = {}
    for name in _tensors_in_order(network):
        location = plan.locations[name]
        tensor = network.tensors[name]
        symbol = f"t{len(macros)}"
        macros[name] = symbol
        pointer = f"{'const ' if location.kind == CONST else ''}{ctype(tensor.dtype)} *"
        if location.kind == ARENA:
            base = f"network_arena + {location.offset}"
        else:
            if location.kind == CONST:
                array, byte = constant_symbols[location.owner], "const uint8_t"
            else:
                array, byte = f"network_{'input' if location.kind == INPUT else 'output'}_{location.index}", "uint8_t"
            base = f"({byte} *){array} + {location.offset}" if location.offset else array
        where = "arena" if location.kind == ARENA else location.kind
        out.append(f"#define {symbol} (({pointer})({base})) /* '{comment(name)}' {list(tensor.shape)} {tensor.dtype}, {where} */")

    def ref(name: str) -> str:
        return macros[name]

    out += ["", "/* ---- layers */"]
    for index, layer in enumerate(network.layers):
        macs = f", {layer.macs} MAC" if layer.macs else ""
        tiled = [call for call in layer.calls() if isinstance(call, TiledCall)]
        for number, call in enumerate(tiled):
            out += tile_plan(call, f"tile_{index}_{number}", ref)
        plans = {id(call): f"tile_{index}_{number}" for number, call in enumerate(tiled)}
        out.append(f"/* layer {index}: '{comment(layer.name)}' ({comment(layer.kind)}) on the {layer.engine}{macs} */")
        out.append(f"static void layer_{index}(uint32_t core, uint32_t cores) {{")
        for position, step in enumerate(layer.steps):
            if position:
                out.append("    snrt_cluster_hw_barrier();")
            for runs_on, condition in GUARDS.items():
                group = [call for call in step if call.runs_on == runs_on and not isinstance(call, TiledCall)]
                if group:
                    out.append(f"    if ({condition}) {{")
                    out += [f"        {call.render(ref)}" for call in group]
                    out.append("    }")
            for call in step:
                if isinstance(call, TiledCall):
                    out += tile_loop(call, plans[id(call)], network, ref)
        if not layer.steps:
            out += ["    (void)core;", "    (void)cores;"]
        out += ["}", ""]
    out.append("typedef void (*layer_fn)(uint32_t core, uint32_t cores);")
    if network.layers:
        table = wrap([f"layer_{i}" for i in range(len(network.layers))])
        out.append(f"static const layer_fn network_layers[NETWORK_NUM_LAYERS] = {{{table}}};")
    out += [
        "",
        "void run_network(void (*after_layer)(uint32_t layer)) {",
        "    const uint32_t core = snrt_cluster_core_idx(), cores = snrt_cluster_compute_core_num();",
    ]
    if network.layers:
        out += [
            "    for (uint32_t i = 0; i < NETWORK_NUM_LAYERS; i++) {",
            "        network_layers[i](core, cores);",
            "        snrt_cluster_hw_barrier();",
            "        if (after_layer) after_layer(i);",
            "    }",
        ]
    else:
        out += ["    (void)core;", "    (void)cores;", "    (void)after_layer;"]
    out += ["}", ""]
    return "\n".join(out)


def _tensors_in_order(network: LoweredNetwork) -> list[str]:
    seen: dict[str, None] = {}
    for layer in network.layers:
        for call in layer.calls():
            for name in (*call.reads(), *call.writes()):
                seen.setdefault(name, None)
    return list(seen)


def _main_c(network: LoweredNetwork, inputs: Mapping[str, np.ndarray]) -> str:
    out = [
        "/* Generated by deploy.codegen: runs the network once on the inputs below and records the",
        " * cycles of every layer (core 0 reads mcycle after each layer's barrier) and the bytes the",
        " * DMA moved for it (the ITA driver's count). */",
        "#include <stdint.h>",
        "#include <string.h>",
        "",
        '#include "deploy_tiles.h"',
        '#include "network.h"',
        '#include "snrt.h"',
        "",
    ]
    for k, name in enumerate(network.inputs):
        tensor = network.tensors[name]
        values = np.asarray(inputs[name]).astype(tensor.dtype)
        out.append(f"/* graph input '{comment(name)}' {list(tensor.shape)} {tensor.dtype} */")
        out.append(array_definition("static const", f"input_data_{k}", values))
    out += [
        "",
        f"uint32_t layer_cycles[{max(len(network.layers), 1)}];",
        f"uint32_t layer_dma_bytes[{max(len(network.layers), 1)}];",
        "uint32_t network_cycles;",
        "static uint32_t stamp, dma_stamp;",
        "",
        "static void after_layer(uint32_t layer) {",
        "    if (snrt_cluster_core_idx() == 0) {",
        "        const uint32_t now = snrt_mcycle();",
        "        layer_cycles[layer] = now - stamp;",
        "        stamp = now;",
        "    }",
        "    if (snrt_is_dm_core()) { /* the only hart that counts DMA bytes: no race with the next layer */",
        "        const uint32_t moved = deploy_dma_bytes;",
        "        layer_dma_bytes[layer] = moved - dma_stamp;",
        "        dma_stamp = moved;",
        "    }",
        "}",
        "",
        "int main(void) {",
        "    const uint32_t core = snrt_cluster_core_idx();",
        "    if (core == 0) {",
    ]
    for k, name in enumerate(network.inputs):
        out.append(f"        memcpy(network_input_{k}, input_data_{k}, {nbytes(network, name)});")
    out += [
        "    }",
        "    snrt_cluster_hw_barrier();",
        "    uint32_t start = 0;",
        "    if (core == 0) start = stamp = snrt_mcycle();",
        "    run_network(after_layer);",
        "    if (core == 0) network_cycles = stamp - start;",
        "    return 0;",
        "}",
        "",
    ]
    return "\n".join(out)


__all__ = ["Sources", "array_definition", "byte_string", "generate"]
