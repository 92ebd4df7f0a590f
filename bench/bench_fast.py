#!/usr/bin/env python3
"""Speed of the fast engine (Unicorn) on int8 GEMM.

1. Aggregate throughput: firmware/examples/gemm.c on 8 cores, sized for about 1e9 instructions
   in all (5e7 with --quick; REPS from the exact counts of runs at REPS = 1 and 2).
   MIPS = instructions / the report's wall_seconds (the run only); the total wall time of
   `python3 -m iss run` (start-up, ELF load, Unicorn set-up) is printed too.
2. Single hart against QEMU: the kernel of bench/gemm_kernel.h, compiled with the same compiler
   and flags into bench/gemm_iss.c (our cluster, --cores 1) and bench/qemu/gemm_qemu.c
   (qemu-system-riscv32 -machine virt -bios none, plain TCG). Each is run at two sizes
   (REPS small and big = 8 x small); speeds come from the differences, which cancel start-up,
   input set-up and translation. Instructions are our own exact count of hart 0 (QEMU runs the
   same code bytes: checked below; each engine's sizes are chosen so its big run lasts a few
   seconds). Skipped with a message when qemu-system-riscv32 is not installed.
3. A summary table, also written to bench/results/fast.json.

Timings are the best of a few runs, ISS and QEMU interleaved; nothing asserts a wall-clock limit.
Usage: python3 bench/bench_fast.py [--quick] [--repeats N] [--iss-args "OPTIONS FOR iss run"]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from iss.elf import load_program  # noqa: E402
from toolchain.build import ARCH_FLAGS, C_FLAGS, build_program, find_compiler  # noqa: E402

GEMM_C = ROOT / "firmware" / "examples" / "gemm.c"
GEMM_ISS_C = BENCH / "gemm_iss.c"
QEMU_DIR = BENCH / "qemu"
RESULTS = BENCH / "results" / "fast.json"
OPT = "-O2"  # build_program's default, used for both ELFs of the QEMU comparison
SIZE = {"M": 64, "N": 64, "K": 64}  # operands 24 KiB, in L1 on the cluster

# Part 1: aggregate instructions of the 8-core run.
AGGREGATE_TARGET = {"full": 1.0e9, "quick": 5.0e7}
# Part 2: (seconds of our big single-hart run at the speed part 1 measured, instructions of
# QEMU's big run); each small run is 1/8 of its big one.
SINGLE = {"full": (3.0, 4.0e9), "quick": (0.2, 3.0e8)}
MAX_SINGLE_INSTRUCTIONS = 4.0e9
PART_BUDGET_S = 40.0  # no further repeats once a part has taken this long (keeps the run ~2 min)
QEMU_CMD = ["-machine", "virt", "-smp", "1", "-m", "64M", "-bios", "none", "-display", "none",
            "-serial", "stdio", "-monitor", "none"]
ISS_EXTRA_ARGS: list[str] = []  # --iss-args: appended to every `iss run`
CHECKSUM = re.compile(r"checksum (0x[0-9a-f]{8})")


def defines(reps: int) -> list[str]:
    return [f"{k}={v}" for k, v in SIZE.items()] + [f"REPS={reps}"]


# -- our simulator ---------------------------------------------------------------------------


def iss_run(elf: Path, cores: int) -> dict:
    """Run `python3 -m iss run` in a fresh process; the JSON report plus the process wall time."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        report_file = Path(f.name)
    try:
        cmd = [sys.executable, "-m", "iss", "run", str(elf), "--cores", str(cores),
               "--report", "json", "--report-file", str(report_file), *ISS_EXTRA_ARGS]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"iss run {elf.name} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        report = json.loads(report_file.read_text())
    finally:
        report_file.unlink(missing_ok=True)
    match = CHECKSUM.search(proc.stdout)
    return {
        "instructions": report["instructions"],
        "hart0_instructions": report["harts"][0]["instructions"],
        "wall_seconds": report["wall_seconds"],
        "total_seconds": total,
        "checksum": match.group(1) if match else None,
    }


def build_iss(source: Path, out: Path, reps: int) -> Path:
    return build_program([source], out, opt=OPT, include_dirs=[BENCH], defines=defines(reps))


def calibrate(source: Path, cores: int, key: str, work: Path) -> tuple[int, int]:
    """Instructions = fixed + per_rep * REPS, from runs at REPS = 1 and 2 (counts are exact)."""
    counts = []
    for reps in (1, 2):
        elf = build_iss(source, work / f"cal_{source.stem}_{cores}_{reps}.elf", reps)
        counts.append(iss_run(elf, cores)[key])
    per_rep = counts[1] - counts[0]
    return counts[0] - per_rep, per_rep


def reps_for(target: float, fixed: int, per_rep: int) -> int:
    return max(1, round((target - fixed) / per_rep))


# -- QEMU ------------------------------------------------------------------------------------


def build_qemu(out: Path, reps: int) -> Path:
    """The QEMU program: same compiler, ARCH_FLAGS, C_FLAGS and -O level as build_program."""
    cmd = [find_compiler(), "--specs=picolibc.specs", *ARCH_FLAGS, OPT, "-g", *C_FLAGS, "-nostartfiles",
           f"-T{QEMU_DIR / 'link.ld'}", "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments",
           *[f"-D{d}" for d in defines(reps)], str(QEMU_DIR / "crt0.S"), str(QEMU_DIR / "gemm_qemu.c"),
           "-o", str(out), "-lc", "-lgcc"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"building the QEMU program failed:\n{proc.stderr}")
    return out


def qemu_run(qemu: str, elf: Path) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run([qemu, *QEMU_CMD, "-kernel", str(elf)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    total = time.perf_counter() - t0
    match = CHECKSUM.search(proc.stdout)
    if proc.returncode != 0 or not match:
        raise SystemExit(f"QEMU run of {elf.name} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return {"total_seconds": total, "checksum": match.group(1)}


def function_bytes(elf: Path, name: str) -> bytes:
    prog = load_program(elf)
    start, size = prog.symbols[name], prog.symbol_sizes[name]
    for seg in prog.segments:
        if seg.address <= start and start + size <= seg.address + len(seg.data):
            return seg.data[start - seg.address : start - seg.address + size]
    raise SystemExit(f"{elf.name}: {name} not found in a loaded segment")


# -- the benchmarks --------------------------------------------------------------------------


def bench_aggregate(mode: str, repeats: int, work: Path) -> dict:
    target = AGGREGATE_TARGET[mode]
    print(f"[1] aggregate: gemm.c {SIZE['M']}x{SIZE['N']}x{SIZE['K']} on 8 cores, target {target:.0e} instructions")
    fixed, per_rep = calibrate(GEMM_C, 8, "instructions", work)
    reps = reps_for(target, fixed, per_rep)
    tb = time.perf_counter()
    elf = build_iss(GEMM_C, work / "gemm_8cores.elf", reps)
    build_s = time.perf_counter() - tb
    runs = []
    t0 = time.perf_counter()
    for i in range(repeats):
        if i and time.perf_counter() - t0 > PART_BUDGET_S:
            print(f"    (stopping after {i} runs: time budget)")
            break
        r = iss_run(elf, 8)
        r["mips"] = r["instructions"] / r["wall_seconds"] / 1e6
        runs.append(r)
        print(f"    run {i + 1}: {r['instructions']:,} instructions in {r['wall_seconds']:.3f} s "
              f"= {r['mips']:.1f} MIPS; total with set-up {r['total_seconds']:.3f} s")
    best = max(runs, key=lambda r: r["mips"])
    return {
        "program": "firmware/examples/gemm.c",
        "cores": 8,
        **SIZE,
        "reps": reps,
        "instructions": best["instructions"],
        "run_seconds": best["wall_seconds"],
        "mips": best["mips"],
        "total_seconds": best["total_seconds"],
        "setup_seconds": best["total_seconds"] - best["wall_seconds"],
        "build_seconds": build_s,
        "checksum": best["checksum"],
        "runs": runs,
    }


def two_sizes(target: float, fixed: int, per_rep: int) -> tuple[int, int]:
    """REPS of the small and the big run: the big one near `target` instructions, small = big / 8."""
    big = max(16, reps_for(target, fixed, per_rep))
    return big // 8, big


def bench_single(mode: str, repeats: int, work: Path, engine_mips: float) -> dict:
    iss_seconds, qemu_target = SINGLE[mode]
    fixed, per_rep = calibrate(GEMM_ISS_C, 1, "hart0_instructions", work)
    # Our big run lasts about iss_seconds at the speed part 1 measured; QEMU's is sized on its own.
    iss_target = min(engine_mips * 1e6 * iss_seconds, MAX_SINGLE_INSTRUCTIONS)
    iss_reps = two_sizes(iss_target, fixed, per_rep)
    print(f"[2] single hart vs QEMU: bench/gemm_kernel.h {SIZE['M']}x{SIZE['N']}x{SIZE['K']}, "
          f"{per_rep:,} instructions per REP")
    iss_elf = {n: build_iss(GEMM_ISS_C, work / f"gemm_iss_{n}.elf", n) for n in iss_reps}

    qemu = shutil.which("qemu-system-riscv32")
    qemu_reps, qemu_elf = (), {}
    if qemu:
        qemu_reps = two_sizes(qemu_target, fixed, per_rep)
        qemu_elf = {n: build_qemu(work / f"gemm_qemu_{n}.elf", n) for n in qemu_reps}
        a = function_bytes(iss_elf[iss_reps[0]], "gemm_kernel")
        b = function_bytes(qemu_elf[qemu_reps[0]], "gemm_kernel")
        if a != b:
            raise SystemExit("gemm_kernel differs between the ISS and the QEMU ELF: the comparison would be unfair")
        print(f"    gemm_kernel: identical code in both ELFs ({len(a) // 4} instructions)")
    else:
        print("    qemu-system-riscv32 not found: the comparison against QEMU is skipped "
              "(install the Debian package qemu-system-misc)")

    iss_runs = {n: [] for n in iss_reps}
    qemu_runs = {n: [] for n in qemu_reps}
    t0 = time.perf_counter()
    for i in range(repeats):  # interleaved, so background load hits both engines alike
        if i and time.perf_counter() - t0 > PART_BUDGET_S:
            print(f"    (stopping after {i} rounds: time budget)")
            break
        for k in range(2):
            r = iss_run(iss_elf[iss_reps[k]], 1)
            if r["hart0_instructions"] != fixed + per_rep * iss_reps[k]:
                raise SystemExit(f"hart 0 ran {r['hart0_instructions']:,} instructions at REPS {iss_reps[k]}, "
                                 f"not {fixed + per_rep * iss_reps[k]:,}: the count is not linear in REPS")
            iss_runs[iss_reps[k]].append(r)
            if qemu:
                qemu_runs[qemu_reps[k]].append(qemu_run(qemu, qemu_elf[qemu_reps[k]]))

    rounds = len(iss_runs[iss_reps[0]])
    small, big = iss_reps
    d_instr = per_rep * (big - small)
    iss_s = {n: min(r["wall_seconds"] for r in runs) for n, runs in iss_runs.items()}
    d_iss = iss_s[big] - iss_s[small]
    big_instr = fixed + per_rep * big
    result = {
        "program": "bench/gemm_iss.c (--cores 1) / bench/qemu/gemm_qemu.c",
        **SIZE,
        "rounds": rounds,
        "instructions_per_rep": per_rep,
        "instructions_fixed": fixed,
        "iss_reps": list(iss_reps),
        "iss_instructions_delta": d_instr,
        "iss_run_seconds": [iss_s[small], iss_s[big]],
        "iss_mips": d_instr / d_iss / 1e6,
        "iss_mips_direct": big_instr / iss_s[big] / 1e6,
        "checksum": iss_runs[big][0]["checksum"],
        "qemu": None,
        "ratio_iss_over_qemu": None,
    }
    print(f"    ours:  REPS {small} -> {big}: {d_instr:,} more instructions (hart 0) in {d_iss:.3f} s more "
          f"= {result['iss_mips']:.1f} MIPS (whole big run: {result['iss_mips_direct']:.1f})")
    if qemu:
        q_small, q_big = qemu_reps
        q_s = {n: min(r["total_seconds"] for r in runs) for n, runs in qemu_runs.items()}
        sums = {r["checksum"] for runs in [*qemu_runs.values(), *iss_runs.values()] for r in runs}
        if len(sums) != 1:
            raise SystemExit(f"checksums differ between the runs: {sorted(map(str, sums))}")
        q_instr = per_rep * (q_big - q_small)
        d_qemu = q_s[q_big] - q_s[q_small]
        version = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        result["qemu"] = {
            "binary": qemu,
            "version": version,
            "command": " ".join([Path(qemu).name, *QEMU_CMD, "-kernel", "X.elf"]),
            "reps": list(qemu_reps),
            "instructions_delta": q_instr,
            "process_seconds": [q_s[q_small], q_s[q_big]],
            "mips": q_instr / d_qemu / 1e6,
        }
        result["ratio_iss_over_qemu"] = result["iss_mips"] / result["qemu"]["mips"]
        print(f"    QEMU:  REPS {q_small} -> {q_big}: {q_instr:,} more instructions in {d_qemu:.3f} s more "
              f"= {result['qemu']['mips']:.1f} MIPS (process {q_s[q_small]:.3f} s / {q_s[q_big]:.3f} s)")
        print(f"    ratio ours/QEMU = {result['ratio_iss_over_qemu']:.3f}")
    return result


def source_state() -> dict:
    """Commit of the tree measured, and whether the simulator had uncommitted changes (read only)."""
    def git(*args):
        proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return proc.stdout.rstrip() if proc.returncode == 0 else None
    changed = git("status", "--porcelain", "--", "iss", "toolchain", "firmware")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "uncommitted_changes": changed.splitlines() if changed else []}


def summary_rows(agg: dict, single: dict) -> list[tuple[str, str]]:
    rows = [
        ("8-core aggregate instructions", f"{agg['instructions']:,}"),
        ("8-core run time (s)", f"{agg['run_seconds']:.3f}"),
        ("8-core aggregate MIPS", f"{agg['mips']:.1f}"),
        ("8-core total wall incl. set-up (s)", f"{agg['total_seconds']:.3f}"),
        ("single-hart MIPS (ours)", f"{single['iss_mips']:.1f}"),
    ]
    if single["qemu"]:
        rows += [
            ("single-hart MIPS (QEMU TCG)", f"{single['qemu']['mips']:.1f}"),
            ("ratio ours/QEMU", f"{single['ratio_iss_over_qemu']:.3f}"),
        ]
    else:
        rows.append(("single-hart vs QEMU", "skipped (no qemu-system-riscv32)"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each (a smoke test)")
    ap.add_argument("--repeats", type=int, default=None, help="runs per measurement (best is kept; default 3, quick 1)")
    ap.add_argument("--iss-args", default="", metavar="ARGS",
                    help="extra options for every `iss run`, e.g. --iss-args=--no-check-alignment")
    args = ap.parse_args()
    ISS_EXTRA_ARGS[:] = shlex.split(args.iss_args)
    mode = "quick" if args.quick else "full"
    repeats = args.repeats or (1 if args.quick else 3)

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_fast_") as tmp:
        work = Path(tmp)
        agg = bench_aggregate(mode, repeats, work)
        single = bench_single(mode, repeats, work, agg["mips"])
    elapsed = time.perf_counter() - t0

    rows = summary_rows(agg, single)
    width = max(len(k) for k, _ in rows)
    extra = f", iss run {' '.join(ISS_EXTRA_ARGS)}" if ISS_EXTRA_ARGS else ""
    print(f"\nsummary ({mode}, best of up to {repeats} runs{extra}, benchmark took {elapsed:.1f} s)")
    print(f"{'measure':<{width}}  value")
    print(f"{'-' * width}  {'-' * 12}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = {
        "benchmark": "bench_fast",
        "mode": mode,
        "repeats": repeats,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
                 "system": platform.platform()},
        "source": source_state(),
        "iss_args": ISS_EXTRA_ARGS,
        "compiler": find_compiler(),
        "flags": [*ARCH_FLAGS, OPT, *C_FLAGS],
        "aggregate": agg,
        "single_hart": single,
        "summary": dict(rows),
        "benchmark_seconds": elapsed,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
