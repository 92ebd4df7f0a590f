"""Programs compiled by the project toolchain, run on the fast engine, checked against
independent expectations (numpy, IEEE arithmetic, counting by hand)."""

import json
import struct

import numpy as np

from conftest import run_cli
from iss.cluster import Cluster
from iss.config import ClusterConfig


def run(elf, **config):
    cluster = Cluster(elf, ClusterConfig(**config), sink=open("/dev/null", "w"))
    report = cluster.run()
    return cluster, report


def test_every_hart_prints(build):
    elf = build("runtime/hello_harts.c")
    proc = run_cli("run", elf, "--report", "none")
    assert proc.returncode == 0, proc.stderr
    lines = set(proc.stdout.splitlines())
    expected = {f"[{h}] hart {h} of 9 ({'dma' if h == 8 else 'core'})" for h in range(9)}
    assert lines == expected


def test_fewer_cores_move_the_dma_core(build):
    elf = build("runtime/hello_harts.c")
    proc = run_cli("run", elf, "--cores", "3", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    assert set(proc.stdout.splitlines()) == {
        "[0] hart 0 of 4 (core)",
        "[1] hart 1 of 4 (core)",
        "[2] hart 2 of 4 (core)",
        "[3] hart 3 of 4 (dma)",
    }


def test_barrier_orders_phases_and_releases_at_latest_arrival(build):
    cluster, report = run(build("runtime/barrier.c"))
    assert report.exit_code == 0
    after = np.frombuffer(cluster.read_symbol("after_barrier"), dtype=np.uint32).reshape(6, 9)
    for phase in after:
        assert len(set(phase.tolist())) == 1, phase  # every hart leaves at the same cycle
    assert np.all(np.diff(after[:, 0].astype(np.int64)) > 0)
    assert all(h.stall_cycles > 0 for h in report.harts[1:])


def test_atomics_from_nine_harts(build):
    cluster, report = run(build("runtime/atomics.c", defines=["ITERS=3000"]), quantum=1000)
    amo, lrsc, amax = struct.unpack("<3I", b"".join(cluster.read_symbol(s, 4) for s in ("amo_counter", "lrsc_counter", "amo_max")))
    assert (amo, lrsc, amax) == (9 * 3000, 9 * 3000, 8 * 10 + 7)
    assert cluster.output.text() == "amo 27000 lrsc 27000 max 87\n"


def test_minstret_and_mcycle_count_a_known_loop_exactly(build):
    cluster, _ = run(build("runtime/minstret.c"))
    instret = np.frombuffer(cluster.read_symbol("instret_delta"), dtype=np.uint32)
    cycles = np.frombuffer(cluster.read_symbol("cycle_delta"), dtype=np.uint32)
    # csrr + li + 1000 x (addi, bnez) between the two reads
    assert instret.tolist() == [2002] * 9
    assert cycles.tolist() == [2002] * 9


def test_report_counts_equal_program_view(build):
    """The run report's per-hart counts are the same counters the program reads."""
    _, report = run(build("runtime/minstret.c"), quantum=1000)
    _, report_big_quantum = run(build("runtime/minstret.c"), quantum=1_000_000)
    assert [h.instructions for h in report.harts] == [h.instructions for h in report_big_quantum.harts]


def test_fp64_and_fp32_arithmetic_is_ieee_exact(build):
    cluster, report = run(build("runtime/fp.c"))
    assert report.exit_code == 0
    din = np.frombuffer(cluster.read_symbol("din"), dtype=np.float64).reshape(8, 3)
    fin = np.frombuffer(cluster.read_symbol("fin"), dtype=np.float32).reshape(8, 3)
    dout = np.frombuffer(cluster.read_symbol("dout"), dtype=np.float64).reshape(8, 8)
    fout = np.frombuffer(cluster.read_symbol("fout"), dtype=np.float32).reshape(8, 8)
    iout = np.frombuffer(cluster.read_symbol("iout"), dtype=np.int32).reshape(8, 2)
    a, b, c = din.T
    x, y, z = fin.T
    with np.errstate(all="ignore"):
        want_d = np.stack([a + b, a * b, a / b, _fma64(a, b, c), np.sqrt(np.abs(a)), _fcvt_w(b).astype(np.float64), np.fmin(a, b), np.fmax(a, b)], axis=1)
        want_f = np.stack([x + y, x * y, x / y, _fma32(x, y, z), np.sqrt(np.abs(x)), a.astype(np.float32), np.fmin(x, y), np.fmax(x, y)], axis=1)
    assert dout.tobytes() == want_d.tobytes()
    assert fout.tobytes() == want_f.astype(np.float32).tobytes()
    assert iout[:, 0].tolist() == _fcvt_w(c).tolist()
    assert iout[:, 1].tolist() == _fcvt_w(x * np.float32(3.0)).tolist()


def _fcvt_w(values):
    """fcvt.w.*: truncate, saturating out-of-range values (RISC-V unprivileged spec, F 11.7)."""
    return np.clip(np.trunc(values.astype(np.float64)), -(2**31), 2**31 - 1).astype(np.int32)


def _fma64(a, b, c):
    from fractions import Fraction

    return np.array([_to_float(Fraction(p) * Fraction(q) + Fraction(r)) for p, q, r in zip(a, b, c)])


def _to_float(exact):
    """Correctly rounded float64 of an exact rational; overflow gives a signed infinity."""
    try:
        return float(exact)
    except OverflowError:
        return float("inf") if exact > 0 else float("-inf")


def _fma32(a, b, c):
    from fractions import Fraction

    # exact product-sum, then one rounding to float32 (via float64 would double-round; use Fraction)
    out = []
    for p, q, r in zip(a, b, c):
        exact = Fraction(float(p)) * Fraction(float(q)) + Fraction(float(r))
        out.append(_round_to_f32(exact))
    return np.array(out, dtype=np.float32)


def _round_to_f32(value):
    """Round an exact rational to the nearest float32 (ties to even)."""
    from fractions import Fraction

    with np.errstate(over="ignore"):
        candidate = np.float32(_to_float(value))
    if np.isinf(candidate):
        return candidate
    # float(value) rounds once to float64, then float32 may round again: check neighbours exactly.
    best = candidate
    for f in (np.nextafter(candidate, np.float32(-np.inf)), candidate, np.nextafter(candidate, np.float32(np.inf))):
        if abs(Fraction(float(f)) - value) < abs(Fraction(float(best)) - value):
            best = f
        elif abs(Fraction(float(f)) - value) == abs(Fraction(float(best)) - value) and f != best:
            best = f if (f.view(np.uint32) & 1) == 0 else best
    return best


def test_gemm_matches_numpy(build):
    elf = build("firmware/examples/gemm.c", defines=["M=24", "N=16", "K=40"])
    cluster, report = run(elf)
    assert report.exit_code == 0
    a = np.frombuffer(cluster.read_symbol("A"), dtype=np.int8).reshape(24, 40).astype(np.int32)
    b = np.frombuffer(cluster.read_symbol("B"), dtype=np.int8).reshape(40, 16).astype(np.int32)
    c = np.frombuffer(cluster.read_symbol("C"), dtype=np.int32).reshape(24, 16)
    assert np.array_equal(c, a @ b)
    # inputs are the LCG of the program, recomputed independently
    state, values = 12345, []
    for _ in range(24 * 40 + 40 * 16):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        values.append(((state >> 24) ^ 0x80) - 0x80)
    assert a.flatten().tolist() == values[: 24 * 40]


def test_runs_are_deterministic(build, tmp_path):
    elf = build("firmware/examples/gemm.c")
    reports, outputs = [], []
    for i in range(2):
        proc = run_cli("run", elf, "--report", "json", "--report-file", tmp_path / f"r{i}.json")
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
        rep = json.loads((tmp_path / f"r{i}.json").read_text())
        for volatile in ("wall_seconds", "host_mips"):
            rep.pop(volatile)
        reports.append(rep)
    assert outputs[0] == outputs[1] and "checksum" in outputs[0]
    assert reports[0] == reports[1]
