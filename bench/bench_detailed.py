"""Speed of the detailed (pure-Python) engine on one hart, and the cost of tracing.

    python3 bench/bench_detailed.py [--quick]

Runs the int8 GEMM example (integer code) and an FP64 program on one compute core with
`--engine detailed`, then the GEMM again with `--trace` into a temporary folder. Prints
instructions per second of each run and the slowdown caused by tracing (a ratio measured in
the same run). Nothing asserts a wall-clock limit.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iss.cluster import Cluster  # noqa: E402
from iss.config import ClusterConfig  # noqa: E402
from toolchain import build_program  # noqa: E402


def timed_run(elf, trace_dir=None, engine="detailed"):
    cluster = Cluster(elf, ClusterConfig(cores=1, engine=engine), sink=open("/dev/null", "w"),
                      trace=(trace_dir, None) if trace_dir else None)
    start = time.perf_counter()
    report = cluster.run()
    wall = time.perf_counter() - start
    return report.harts[0].instructions, report.instructions, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size = 16 if args.quick else 48
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        gemm = build_program([ROOT / "firmware/examples/gemm.c"], tmp / "gemm.elf", defines=[f"M={size}", f"N={size}", f"K={size}"])
        fp = build_program([ROOT / "tests/programs/runtime/fp.c"], tmp / "fp.elf")
        rows = []
        for name, elf, trace in (("gemm int8", gemm, None), ("fp64/fp32 ops", fp, None), ("gemm int8 + trace", gemm, tmp / "trace")):
            _, total, wall = timed_run(elf, trace)
            rows.append({"program": name, "instructions": total, "seconds": wall, "ips": total / wall})
        trace_cost = rows[0]["ips"] / rows[2]["ips"]
    print(f"{'program':<20} {'instructions':>12} {'seconds':>8} {'instr/s':>12}")
    for r in rows:
        print(f"{r['program']:<20} {r['instructions']:>12} {r['seconds']:>8.2f} {r['ips']:>12,.0f}")
    print(f"tracing costs x{trace_cost:.1f} (same program, with vs without --trace)")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "detailed.json").write_text(json.dumps({"runs": rows, "trace_slowdown": trace_cost}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
