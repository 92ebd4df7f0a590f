"""How long deploying and simulating each zoo model takes on this machine, and what it gives.

    python3 bench/bench_deploy.py                       # every zoo model, full depth, ITA and --no-ita
    python3 bench/bench_deploy.py --quick               # one layer of each, ITA only
    python3 bench/bench_deploy.py --models mobilebert --modes ita ita-fused --seq 128

For each model and mode the script runs the whole flow in this process (deploy.flow: build the
zoo graph, lower, allocate, generate C, compile, simulate on the fast engine, run the golden
executor and compare bit for bit) and times its stages with time.perf_counter:

  build     zoo graph construction (the builder evaluates every node to calibrate it) and import
  compile   lowering, memory plan, C generation and gcc
  simulate  the cluster simulation (Cluster.run: ELF load to exit)
  golden    the numpy golden executor
  total     all of the above (the goal: MobileBERT, seq 128, 24 layers, under 5 minutes)

Modes: `cores` (--no-ita), `ita` (ITA configured with the paper-time softmax: the graph's ITAMax
runs on the cores), `ita-fused` (ITA configured with Deeploy's ITAMax variant: QK, softmax and
A.V fused on ITA). Besides the times it prints the simulated cycles, GOp, Op/cycle, GOp/s and
inferences/s at --freq-mhz, ITA's utilisation, and whether the outputs equal the golden executor.
Everything goes to bench/results/deploy.json (--out). Nothing asserts a wall-clock limit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.flow import DeployOptions, build, compare, simulate  # noqa: E402
from deploy.golden import run_golden  # noqa: E402
from deploy.models import ZOO, build_model, get_spec  # noqa: E402
from deploy.onnx_import import import_model  # noqa: E402
from deploy.report import ita_summary, totals  # noqa: E402

MODELS = {"tiny": "tiny", "mobilebert": "mobilebert", "dinov2": "dinov2_vits14", "whisper": "whisper_tiny_encoder"}
MODES = {
    "cores": {"ita": False},
    "ita": {"ita": True, "ita_softmax": "ita-paper"},
    "ita-fused": {"ita": True, "ita_softmax": "deeploy-itamax"},
}


def run_one(model: str, mode: str, seq: int | None, layers: int | None, freq_mhz: float) -> dict:
    zoo_name = MODELS.get(model, model)
    spec = get_spec(zoo_name, seq, layers)
    started = time.perf_counter()
    onnx_model, inputs = build_model(zoo_name, seq=seq, layers=layers)
    graph = import_model(onnx_model, zoo_name)
    t_build = time.perf_counter() - started
    options = DeployOptions(cores=8, freq_mhz=freq_mhz, **MODES[mode])
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as folder:
        t0 = time.perf_counter()
        built = build(graph, inputs, options, Path(folder))
        t_compile = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = simulate(built, options)
        t_simulate = time.perf_counter() - t0
    t0 = time.perf_counter()
    result.golden = run_golden(graph, inputs).outputs
    result.mismatches = compare(result, result.golden)
    t_golden = time.perf_counter() - t0
    total = totals(result, freq_mhz)
    row = {
        "model": model,
        "mode": mode,
        "layers": spec.layers,
        "seq": spec.padded_seq(),
        "seconds": {
            "build": t_build,
            "compile": t_compile,
            "simulate": t_simulate,
            "golden": t_golden,
            "total": t_build + t_compile + t_simulate + t_golden,
        },
        "instructions": result.instructions,
        "cycles": total["cycles"],
        "gop": total["gop"],
        "op_per_cycle": total["op_per_cycle"],
        "gop_per_s": total["gop_per_s"],
        "inferences_per_s": 1e3 / total["time_ms"] if total["time_ms"] else 0.0,
        "freq_mhz": freq_mhz,
        "bit_exact": not result.mismatches,
        "layers_on_ita": sum(layer.engine == "ita" for layer in result.network.layers),
        "layers_total": len(result.network.layers),
    }
    if options.ita:
        ita = ita_summary(result)
        ita.pop("notes")
        row["ita"] = ita
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), help=f"zoo models ({', '.join(MODELS)} or any of {', '.join(ZOO)})")
    parser.add_argument("--modes", nargs="+", default=["ita", "cores"], choices=list(MODES))
    parser.add_argument("--seq", type=int, help="tokens (default: the model's, 128; tiny 64)")
    parser.add_argument("--layers", type=int, help="depth (default: the full model)")
    parser.add_argument("--quick", action="store_true", help="one layer of each model, ITA only")
    parser.add_argument("--freq-mhz", type=float, default=500.0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "deploy.json"))
    args = parser.parse_args()
    layers = 1 if args.quick else args.layers
    modes = ["ita"] if args.quick else args.modes
    rows = []
    head = (f"{'model':<11} {'mode':<9} {'layers':>6} {'seq':>4}  {'build s':>7} {'compile s':>9} {'simulate s':>10} "
            f"{'golden s':>8} {'total s':>8}  {'Minstr':>8} {'Mcycles':>9} {'GOp':>7} {'Op/cyc':>7} {'inf/s':>7} "
            f"{'ITA busy':>8} {'exact':>5}")  # fmt: skip
    print(head)
    print("-" * len(head))
    for model in args.models:
        for mode in modes:
            row = run_one(model, mode, args.seq, layers, args.freq_mhz)
            rows.append(row)
            t = row["seconds"]
            busy = f"{100 * row['ita']['busy_utilisation']:.0f}%" if "ita" in row else "-"
            print(
                f"{model:<11} {mode:<9} {row['layers']:>6} {row['seq']:>4}  {t['build']:>7.1f} {t['compile']:>9.1f} "
                f"{t['simulate']:>10.1f} {t['golden']:>8.1f} {t['total']:>8.1f}  {row['instructions'] / 1e6:>8.1f} "
                f"{row['cycles'] / 1e6:>9.2f} {row['gop']:>7.3f} {row['op_per_cycle']:>7.1f} "
                f"{row['inferences_per_s']:>7.2f} {busy:>8} {'yes' if row['bit_exact'] else 'NO':>5}",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"freq_mhz": args.freq_mhz, "runs": rows}, indent=2) + "\n")
    print(f"(times in host seconds on this machine; cycles and rates simulated, at {args.freq_mhz:g} MHz; "
          f"written to {out})")  # fmt: skip
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
