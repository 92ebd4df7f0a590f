"""The per-layer report of a deployed run: a text table and a JSON document.

Per layer: name, operators, engine ("ITA" or "cores"), cycles (core 0's mcycle between the layer
barriers), MACs (the graph's, without ITA's padding), Op/cycle (1 MAC = 2 Op) and the bytes the DMA
moved for the layer (counted by the ITA driver on the DMA core). Totals: cycles, GOp, Op/cycle, at
the clock frequency the time and GOp/s; ITA's jobs, busy cycles and MAC utilisation from the
simulator (busy: MACs done / (busy cycles * 1024), padding included; useful: the graph's MACs on
ITA / (busy cycles * 1024); active: busy cycles / network cycles); where each node that could go to
ITA ran and why; the memory plan (L1 activations, ITA's L1 region, L2).
"""

from __future__ import annotations

from dataclasses import dataclass

from deploy.flow import DeployOptions, DeployResult
from deploy.lowering import ITA
from deploy.lowering.engines import ITA_AVAILABLE

ENGINE_NAMES = {ITA: "ITA"}


@dataclass(frozen=True)
class LayerRow:
    index: int
    name: str
    kind: str
    engine: str
    cycles: int
    macs: int
    dma_bytes: int

    @property
    def op_per_cycle(self) -> float:
        return 2 * self.macs / self.cycles if self.cycles else 0.0


def layer_rows(result: DeployResult) -> list[LayerRow]:
    moved = result.layer_dma_bytes or [layer.dma_bytes for layer in result.network.layers]
    return [
        LayerRow(i, layer.name, layer.kind, ENGINE_NAMES.get(layer.engine, layer.engine), cycles, layer.macs, dma)
        for i, (layer, cycles, dma) in enumerate(zip(result.network.layers, result.layer_cycles, moved))
    ]


def totals(result: DeployResult, freq_mhz: float) -> dict:
    cycles = sum(result.layer_cycles)
    macs = result.network.macs
    seconds = cycles / (freq_mhz * 1e6) if freq_mhz else 0.0
    return {
        "cycles": cycles,
        "macs": macs,
        "gop": 2 * macs / 1e9,
        "op_per_cycle": 2 * macs / cycles if cycles else 0.0,
        "freq_mhz": freq_mhz,
        "time_ms": seconds * 1e3,
        "gop_per_s": 2 * macs / seconds / 1e9 if seconds else 0.0,
        "dma_bytes": sum(r.dma_bytes for r in layer_rows(result)),
        "program_cycles": result.run_cycles,
    }


def ita_summary(result: DeployResult) -> dict:
    """ITA's share of the run: simulator counters and the graph's MACs on ITA."""
    rows = layer_rows(result)
    ita = result.ita
    on_ita = [r for r in rows if r.engine == "ITA"]
    graph_macs = sum(r.macs for r in on_ita)
    busy = ita.busy_cycles if ita else 0
    cycles = sum(result.layer_cycles)
    return {
        "layers": len(on_ita),
        "layer_cycles": sum(r.cycles for r in on_ita),
        "graph_macs": graph_macs,
        "jobs": ita.jobs if ita else 0,
        "busy_cycles": busy,
        "macs_done": ita.macs if ita else 0,
        "busy_utilisation": ita.mac_utilisation if ita else 0.0,
        "useful_utilisation": graph_macs / (busy * 1024) if busy else 0.0,
        "active_fraction": busy / cycles if cycles else 0.0,
        "busy_in_ita_layers": busy / sum(r.cycles for r in on_ita) if on_ita else 0.0,
        "ita_layer_op_per_cycle": 2 * graph_macs / sum(r.cycles for r in on_ita) if on_ita else 0.0,
        "share_of_macs": graph_macs / result.network.macs if result.network.macs else 0.0,
        "dma_transfers": result.dma.transfers if result.dma else 0,
        "dma_bytes": result.dma.bytes if result.dma else 0,
        "softmax": getattr(result.network, "ita_softmax", None),
        "notes": list(getattr(result.network, "ita_notes", None) or []),
        "region_bytes": result.built.ita_region.bytes if result.built.ita_region else 0,
    }


def grouped_notes(notes: list[str]) -> list[str]:
    """Notes `name: on the cores (why)` with the same `why` on one line (first name, count)."""
    import re

    groups: dict[str, list[str]] = {}
    for note in notes:
        name, _, why = note.partition(": ")
        groups.setdefault(why, []).append(name)
    out = []
    for why, names in groups.items():
        if len(names) == 1:
            out.append(f"{names[0]}: {why}")
        else:
            pattern = re.sub(r"\d+", "*", names[0])
            out.append(f"{pattern} ({len(names)} nodes, e.g. {names[0]}): {why}")
    return out


def ita_note(options: DeployOptions) -> str:
    if options.ita and not ITA_AVAILABLE:
        return (
            "note: ITA mapping is not available yet (the simulator has no ITA peripheral): "
            "every layer runs on the cores, exactly as with --no-ita"
        )
    if options.ita:
        return (
            f"mode: ITA (softmax variant {options.ita_softmax}) + {options.cores} cores: what ITA computes bit for bit "
            "runs on ITA, the rest on the cores"
        )
    return "mode: --no-ita, every layer runs on the cores (the paper's baseline cluster)"


def _short(text: str, width: int) -> str:
    """`text` cut in the middle to `width` characters (names differ most at their ends)."""
    if len(text) <= width:
        return text
    head = (width - 3) // 2
    return text[:head] + "..." + text[len(text) - (width - 3 - head) :]


def format_report(result: DeployResult, options: DeployOptions, title: str, checks: list[tuple[str, bool]]) -> str:
    """The table and the summary lines; `checks` are (description, passed) of the output checks."""
    rows = layer_rows(result)
    total = totals(result, options.freq_mhz)
    plan = result.built.plan
    name_width = min(44, max([len("layer")] + [len(r.name) for r in rows]))
    kind_width = min(28, max([len("ops")] + [len(r.kind) for r in rows]))
    head = f"{'#':>4}  {'layer':<{name_width}}  {'ops':<{kind_width}}  {'engine':<6}  {'cycles':>10}  {'MACs':>11}  {'Op/cycle':>8}  {'DMA B':>9}"
    lines = [title, ita_note(options), "", head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.index:>4}  {_short(r.name, name_width):<{name_width}}  {_short(r.kind, kind_width):<{kind_width}}  "
            f"{r.engine:<6}  {r.cycles:>10}  {r.macs:>11}  {r.op_per_cycle:>8.2f}  {r.dma_bytes:>9}"
        )
    lines.append("-" * len(head))
    label = f"total ({len(rows)} layers)"
    lines.append(
        f"{'':>4}  {label:<{name_width}}  {'':<{kind_width}}  {'':<6}  {total['cycles']:>10}  {total['macs']:>11}  "
        f"{total['op_per_cycle']:>8.2f}  {total['dma_bytes']:>9}"
    )
    lines += [
        "",
        f"total: {total['cycles']} cycles, {total['gop']:.4f} GOp, {total['op_per_cycle']:.2f} Op/cycle; "
        f"at {options.freq_mhz:g} MHz: {total['time_ms']:.3f} ms, {total['gop_per_s']:.2f} GOp/s",
        memory_line(result, options),
        f"activations: {plan.activation_bytes} B in {plan.placement} (arena {plan.arena_bytes} B, "
        f"{plan.unshared_bytes} B without reuse; inputs {plan.input_bytes} B, outputs {plan.output_bytes} B)",
        tiling_line(result),
        f"simulation: {result.instructions} instructions, whole program {result.run_cycles} cycles, "
        f"{result.wall_seconds:.2f} s on the host ({options.engine} engine, {options.cores} compute "
        f"core{'s' if options.cores != 1 else ''} + DMA core)",
    ]
    if options.ita:
        ita = ita_summary(result)
        lines.append(
            f"ITA: {ita['layers']} layers, {ita['graph_macs']} of {result.network.macs} MACs "
            f"({100 * ita['share_of_macs']:.1f}%); {ita['jobs']} jobs, {ita['busy_cycles']} busy cycles "
            f"({100 * ita['active_fraction']:.1f}% of the network's cycles, {100 * ita['busy_in_ita_layers']:.1f}% of the "
            f"ITA layers' cycles: {ita['ita_layer_op_per_cycle']:.0f} Op/cycle there); MAC utilisation while busy "
            f"{100 * ita['busy_utilisation']:.1f}% (graph MACs only: {100 * ita['useful_utilisation']:.1f}%); "
            f"DMA of all layers {ita['dma_transfers']} transfers, {ita['dma_bytes']} B; ITA's L1 region {ita['region_bytes']} B"
        )
        for note in grouped_notes(ita["notes"]):
            lines.append(f"  {note}")
    for description, passed in checks:
        lines.append(f"{'PASS' if passed else 'FAIL'}: {description}")
    return "\n".join(lines)


def memory_use(result: DeployResult, options: DeployOptions) -> dict:
    """Bytes of L1 and L2 by use (the static allocation; nothing is allocated at run time)."""
    plan, network = result.built.plan, result.network
    ita = network.ita_region.bytes if network.ita_region else 0
    tiles = network.tiling.work_bytes if network.tiling else 0
    work = network.work_region_bytes
    l1 = options.l1_kib * 1024
    stacks = (options.cores + 1) * options.stack_bytes
    return {
        "l1_bytes": l1,
        "l1_stacks": stacks,
        "l1_activations": plan.l1_bytes,
        "l1_work_region": work,
        "l1_work_ita": ita,
        "l1_work_core_tiles": tiles,
        "l1_free": l1 - stacks - plan.l1_bytes - work,
        "l2_bytes": result.built.l2_bytes,
        "l2_constants": plan.constant_bytes,
        "l2_activations": plan.l2_bytes - plan.constant_bytes,
    }


def memory_line(result: DeployResult, options: DeployOptions) -> str:
    use = memory_use(result, options)
    return (
        f"memory: L1 {use['l1_bytes']} B = stacks {use['l1_stacks']} + activations {use['l1_activations']} + work "
        f"region {use['l1_work_region']} (ITA tiles {use['l1_work_ita']}, core tiles {use['l1_work_core_tiles']}, "
        f"one layer at a time) + free {use['l1_free']}; L2 data {use['l2_constants'] + use['l2_activations']} B "
        f"(constants {use['l2_constants']}, activations {use['l2_activations']}) of {use['l2_bytes']}"
    )


def tiling_line(result: DeployResult) -> str:
    """What the tiling pass did: calls tiled through L1, and those left reading L2 in place, by kernel."""
    tiling = result.network.tiling
    if tiling is None:
        return "tiling: off (the cores read their L2 operands in place)"
    text = f"tiling: {tiling.tiled} core kernel calls run tile by tile through L1 ({tiling.work_bytes} B of slots at most)"
    if tiling.in_place:
        reasons: dict[str, int] = {}
        for _, kernel, why in tiling.in_place:
            key = f"{kernel}: {why}"
            reasons[key] = reasons.get(key, 0) + 1
        listed = "; ".join(f"{count}x {key}" for key, count in sorted(reasons.items()))
        text += f"; {len(tiling.in_place)} read L2 in place ({listed})"
    return text


def report_json(result: DeployResult, options: DeployOptions, model: str, checks: list[tuple[str, bool]]) -> dict:
    return {
        "model": model,
        "cores": options.cores,
        "engine": options.engine,
        "ita_requested": options.ita,
        "ita_available": ITA_AVAILABLE,
        "ita_softmax": options.ita_softmax if options.ita else None,
        "ita": ita_summary(result) if options.ita else None,
        "layers": [
            {
                "index": r.index,
                "name": r.name,
                "ops": r.kind,
                "engine": r.engine,
                "cycles": r.cycles,
                "macs": r.macs,
                "op_per_cycle": r.op_per_cycle,
                "dma_bytes": r.dma_bytes,
            }
            for r in layer_rows(result)
        ],
        "total": totals(result, options.freq_mhz),
        "memory": {**result.built.plan.summary(), **memory_use(result, options)},
        "tiling": result.network.tiling.summary() if result.network.tiling else None,
        "simulation": {
            "instructions": result.instructions,
            "wall_seconds": result.wall_seconds,
            "program_cycles": result.run_cycles,
        },
        "checks": [{"check": description, "passed": passed} for description, passed in checks],
        "outputs_match": all(passed for _, passed in checks),
    }
