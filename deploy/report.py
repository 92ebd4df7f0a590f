"""The per-layer report of a deployed run: a text table and a JSON document.

Per layer: name, operators, engine, cycles (core 0's mcycle between the layer barriers), MACs,
Op/cycle (1 MAC = 2 Op) and the bytes the DMA moved (0 until the DMA exists). Totals: cycles,
GOp, Op/cycle, and at the clock frequency the time and GOp/s.
"""

from __future__ import annotations

from dataclasses import dataclass

from deploy.flow import DeployOptions, DeployResult
from deploy.lowering.engines import ITA_AVAILABLE


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
    return [
        LayerRow(i, layer.name, layer.kind, layer.engine, cycles, layer.macs, layer.dma_bytes)
        for i, (layer, cycles) in enumerate(zip(result.network.layers, result.layer_cycles))
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
        "dma_bytes": sum(layer.dma_bytes for layer in result.network.layers),
        "program_cycles": result.run_cycles,
    }


def ita_note(options: DeployOptions) -> str:
    if options.ita and not ITA_AVAILABLE:
        return (
            "note: ITA mapping is not available yet (the simulator has no ITA peripheral): "
            "every layer runs on the cores, exactly as with --no-ita"
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
    head = f"{'#':>4}  {'layer':<{name_width}}  {'ops':<{kind_width}}  {'engine':<6}  {'cycles':>10}  {'MACs':>11}  {'Op/cycle':>8}  {'DMA B':>7}"
    lines = [title, ita_note(options), "", head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.index:>4}  {_short(r.name, name_width):<{name_width}}  {_short(r.kind, kind_width):<{kind_width}}  "
            f"{r.engine:<6}  {r.cycles:>10}  {r.macs:>11}  {r.op_per_cycle:>8.2f}  {r.dma_bytes:>7}"
        )
    lines.append("-" * len(head))
    label = f"total ({len(rows)} layers)"
    lines.append(
        f"{'':>4}  {label:<{name_width}}  {'':<{kind_width}}  {'':<6}  {total['cycles']:>10}  {total['macs']:>11}  "
        f"{total['op_per_cycle']:>8.2f}  {total['dma_bytes']:>7}"
    )
    lines += [
        "",
        f"total: {total['cycles']} cycles, {total['gop']:.4f} GOp, {total['op_per_cycle']:.2f} Op/cycle; "
        f"at {options.freq_mhz:g} MHz: {total['time_ms']:.3f} ms, {total['gop_per_s']:.2f} GOp/s",
        f"memory: constants {plan.constant_bytes} B in L2; activations {plan.activation_bytes} B in {plan.placement} "
        f"(arena {plan.arena_bytes} B, {plan.unshared_bytes} B without reuse; inputs {plan.input_bytes} B, "
        f"outputs {plan.output_bytes} B; L1 budget {plan.l1_budget} B)",
        f"simulation: {result.instructions} instructions, whole program {result.run_cycles} cycles, "
        f"{result.wall_seconds:.2f} s on the host ({options.engine} engine, {options.cores} compute "
        f"core{'s' if options.cores != 1 else ''} + DMA core)",
    ]
    for description, passed in checks:
        lines.append(f"{'PASS' if passed else 'FAIL'}: {description}")
    return "\n".join(lines)


def report_json(result: DeployResult, options: DeployOptions, model: str, checks: list[tuple[str, bool]]) -> dict:
    return {
        "model": model,
        "cores": options.cores,
        "engine": options.engine,
        "ita_requested": options.ita,
        "ita_available": ITA_AVAILABLE,
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
        "memory": result.built.plan.summary(),
        "simulation": {
            "instructions": result.instructions,
            "wall_seconds": result.wall_seconds,
            "program_cycles": result.run_cycles,
        },
        "checks": [{"check": description, "passed": passed} for description, passed in checks],
        "outputs_match": all(passed for _, passed in checks),
    }
