"""ITA as a cluster peripheral (iss/ita/peripheral.py): firmware drives it through its HWPE
registers (firmware/runtime/ita.c on the DMA core, tiles streamed through L1 by the DMA) and the
results in simulated memory equal the golden model (iss/ita) bit for bit: attention heads with
S, E, P in {64, 128, 256}, feed-forward blocks with each activation; the job timing and the MAC
utilisation of the run report follow from the timing model; strict mode and register errors."""

import io
import re
import struct

import numpy as np
import pytest

from iss.cluster import Cluster
from iss.config import ClusterConfig
from iss.errors import ProgramError
from iss.ita import (
    Activation,
    ActivationParams,
    AttentionParams,
    FeedforwardParams,
    GeluConstants,
    Requant,
    RequantSets,
    attention,
    feedforward,
    from_tiles,
    gelu_requant_from_scale,
    itamax,
    matmul_requant,
    pack_bias24,
    to_tiles,
)
from iss.ita.peripheral import ItaStep, ItaTiming

TIMING = ItaTiming()


# -- helpers ---------------------------------------------------------------------------------------------


def fit(acc, rng, target=32.0) -> Requant:
    """A requantization set that maps `acc` to int8 with a spread of about `target`."""
    eps = int(rng.integers(64, 128))
    sd = float(np.std(acc)) or 1.0
    return Requant(eps_mult=eps, right_shift=max(0, int(round(np.log2(eps * sd / target)))), add=int(rng.integers(-4, 5)))


def params_bytes(rq: RequantSets, act: ActivationParams = ActivationParams()) -> bytes:
    """ita_params_t (firmware/runtime/ita.h)."""
    sets = [rq.q, rq.k, rq.v, rq.qk, rq.av, rq.ow, rq.f1, rq.f2]
    return struct.pack(
        "<8B8B8bhhBBbB",
        *(s.eps_mult for s in sets), *(s.right_shift for s in sets), *(s.add for s in sets),
        act.gelu.b, act.gelu.c, act.rq.eps_mult, act.rq.right_shift, act.rq.add, int(act.kind),
    )  # fmt: skip


def tiles(m) -> bytes:
    return to_tiles(np.asarray(m, dtype=np.int8)).tobytes()


def matrix(cluster, name, rows, cols) -> np.ndarray:
    raw = np.frombuffer(cluster.read_symbol(name, rows * cols), dtype=np.int8)
    return from_tiles(raw.reshape(rows // 64, cols // 64, 64, 64))


def write(cluster, name, data: bytes) -> None:
    cluster.memory.write(cluster.program.symbols[name], data)


def attention_case(S, E, P, seed, bias=True):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (S, E))
    wq, wk, wv = (rng.integers(-128, 128, (P, E)) for _ in range(3))
    wo = rng.integers(-128, 128, (E, P))
    b = (lambda n: rng.integers(-(1 << 15), 1 << 15, n)) if bias else (lambda n: None)
    bq, bk, bv, bo = b(P), b(P), b(P), b(E)
    z = lambda n: np.zeros(n, dtype=np.int64) if bias is False else None  # noqa: E731
    bias_of = lambda v, n: v if v is not None else np.zeros(n, dtype=np.int64)  # noqa: E731
    # requantization sets fitted step by step, as a calibration would
    rq = {}
    rq["q"] = fit(x @ wq.T + bias_of(bq, P), rng)
    q = matmul_requant(x, wq, bq, rq["q"])
    rq["k"] = fit(x @ wk.T + bias_of(bk, P), rng)
    k = matmul_requant(x, wk, bk, rq["k"])
    rq["v"] = fit(wv @ x.T + bias_of(bv, P)[:, None], rng)
    vt = matmul_requant(wv, x, bv, rq["v"], bias_rows=True)
    rq["qk"] = fit(q.astype(np.int64) @ k.T, rng, 40.0)
    a = matmul_requant(q, k, None, rq["qk"])
    p = itamax(a)
    rq["av"] = fit(p.astype(np.int64) @ vt.T, rng)
    o = matmul_requant(p, vt, None, rq["av"])
    rq["ow"] = fit(o.astype(np.int64) @ wo.T + bias_of(bo, E), rng)
    sets = RequantSets(**rq)
    del z
    golden = attention(x, x, AttentionParams(wq, wk, wv, wo, bq, bk, bv, bo, sets))
    symbols = {
        "x": tiles(x), "wq": tiles(wq), "wk": tiles(wk), "wv": tiles(wv), "wo": tiles(wo),
        "params": params_bytes(sets), "use_bias": struct.pack("<I", int(bias)),
    }  # fmt: skip
    if bias:
        symbols.update(bq=pack_bias24(bq), bk=pack_bias24(bk), bv=pack_bias24(bv), bo=pack_bias24(bo))
    return symbols, golden


def run_program(elf, symbols, **config):
    cfg = {"strict": True, **config}
    cluster = Cluster(elf, ClusterConfig(**cfg), sink=io.StringIO())
    for name, data in symbols.items():
        write(cluster, name, data)
    report = cluster.run()
    assert report.exit_code == 0
    return cluster, report


def attention_jobs(S, E, P):
    ts, te, tp = S // 64, E // 64, P // 64
    return 3 * ts * tp * te + ts * (ts * tp + tp * ts) + ts * te * tp


def check_timing(cluster, report, n_jobs):
    """Every job costs what the timing model says; the report's utilisation follows from it."""
    ita = cluster.ita
    assert report.ita.jobs == n_jobs == len(ita.log)
    busy = 0
    for rec in ita.log:
        cycles = rec.end - rec.begin
        fixed = TIMING.job_setup + rec.weight_fill + (TIMING.bias_fill if rec.bias else 0)
        assert cycles == fixed + TIMING.block_cycles + TIMING.pipeline_latency + rec.softmax_stall
        # the driver prefetches the next job's weights (nextload) when they are in L1 in time
        assert rec.weight_fill in (0, TIMING.weight_fill)
        if rec.softmax_stall:
            assert rec.step == ItaStep.AV
        busy += cycles
    # jobs never overlap, and are in order
    assert all(b.begin >= a.end for a, b in zip(ita.log, ita.log[1:]) if b.job > a.job)
    assert report.ita.busy_cycles == busy
    assert report.ita.macs == n_jobs * 64**3
    assert report.ita.mac_utilisation == pytest.approx(n_jobs * 64**3 / (busy * 1024))
    assert 0.85 < report.ita.mac_utilisation < 0.96
    d = report.to_dict()
    assert d["ita"]["jobs"] == n_jobs and d["ita"]["busy_cycles"] == busy
    assert d["dma"] == {"transfers": report.dma.transfers, "bytes": report.dma.bytes, "busy_cycles": report.dma.busy_cycles}
    assert "MAC utilisation" in report.to_text()


# -- attention -------------------------------------------------------------------------------------------


SIZES = [(64, 64, 64), (128, 64, 64), (64, 128, 64), (64, 64, 128), (128, 128, 128), (256, 256, 256)]


@pytest.mark.parametrize("S,E,P", SIZES, ids=lambda v: str(v))
def test_attention_head_matches_golden(build, S, E, P):
    elf = build("ita/attention.c", defines=[f"S={S}", f"E={E}", f"P={P}"])
    symbols, g = attention_case(S, E, P, seed=S * 7 + E * 3 + P)
    cluster, report = run_program(elf, symbols)
    assert np.array_equal(matrix(cluster, "q", S, P), g.q)
    assert np.array_equal(matrix(cluster, "k", S, P), g.k)
    assert np.array_equal(matrix(cluster, "vt", P, S), g.vt)
    assert np.array_equal(matrix(cluster, "a", S, S), g.a)
    assert np.array_equal(matrix(cluster, "o", S, P), g.o)
    assert np.array_equal(matrix(cluster, "out", S, E), g.out)
    check_timing(cluster, report, attention_jobs(S, E, P))


def test_attention_without_bias_and_operands_in_l1(build):
    elf = build("ita/attention.c", defines=["IN_L1"])
    symbols, g = attention_case(64, 64, 64, seed=5, bias=False)
    cluster, report = run_program(elf, symbols)
    assert np.array_equal(matrix(cluster, "out", 64, 64), g.out)
    assert np.array_equal(matrix(cluster, "a", 64, 64), g.a)
    # operands in L1 are used in place: the DMA moves nothing
    assert report.dma.transfers == 0
    check_timing(cluster, report, 6)


def test_attention_same_results_on_both_engines(build):
    elf = build("ita/attention.c", defines=["S=128", "E=64", "P=64"])
    symbols, g = attention_case(128, 64, 64, seed=11)
    fast, rf = run_program(elf, symbols, engine="fast")
    detailed, rd = run_program(elf, symbols, engine="detailed")
    for name, shape in (("out", (128, 64)), ("a", (128, 128)), ("vt", (64, 128))):
        assert np.array_equal(matrix(fast, name, *shape), matrix(detailed, name, *shape))
    assert np.array_equal(matrix(detailed, "out", 128, 64), g.out)
    assert rd.ita.jobs == rf.ita.jobs and rd.ita.macs == rf.ita.macs
    assert rd.dma.bytes == rf.dma.bytes and rd.dma.transfers == rf.dma.transfers


# -- feed-forward ----------------------------------------------------------------------------------------


def ffn_case(S, E, F, kind, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (S, E))
    w1, w2 = rng.integers(-128, 128, (F, E)), rng.integers(-128, 128, (E, F))
    b1, b2 = rng.integers(-(1 << 15), 1 << 15, F), rng.integers(-(1 << 15), 1 << 15, E)
    if kind == Activation.GELU:
        act = ActivationParams(Activation.GELU, GeluConstants.from_scale(0.03125), gelu_requant_from_scale(0.03125))
    elif kind == Activation.RELU:
        act = ActivationParams(Activation.RELU, GeluConstants(), Requant(eps_mult=100, right_shift=7, add=-3))
    else:
        act = ActivationParams()
    f1 = fit(x @ w1.T + b1, rng, 40.0)
    h = matmul_requant(x, w1, b1, f1, act)
    f2 = fit(h.astype(np.int64) @ w2.T + b2, rng)
    sets = RequantSets(f1=f1, f2=f2)
    golden = feedforward(x, FeedforwardParams(w1, b1, w2, b2, sets, act))
    symbols = {"x": tiles(x), "w1": tiles(w1), "w2": tiles(w2), "b1": pack_bias24(b1), "b2": pack_bias24(b2),
               "params": params_bytes(sets, act)}  # fmt: skip
    return symbols, golden


@pytest.mark.parametrize("kind", list(Activation), ids=lambda k: k.name)
@pytest.mark.parametrize("S,E,F", [(64, 64, 128), (128, 128, 256)], ids=lambda v: str(v))
def test_feedforward_matches_golden(build, S, E, F, kind):
    elf = build("ita/ffn.c", defines=[f"S={S}", f"E={E}", f"F={F}"])
    symbols, g = ffn_case(S, E, F, kind, seed=S + E + F + int(kind))
    cluster, report = run_program(elf, symbols)
    h = matrix(cluster, "h", S, F)
    assert np.array_equal(h, g.h)
    assert np.array_equal(matrix(cluster, "out", S, E), g.out)
    assert len(np.unique(h)) > 8  # the activation's output is not degenerate
    ts, te, tf = S // 64, E // 64, F // 64
    check_timing(cluster, report, 2 * ts * te * tf)


# -- registers, timing of one job, events, errors ---------------------------------------------------------


def linear_golden(cluster):
    from iss.ita import LinearParams, linear, unpack_bias24

    x = np.frombuffer(cluster.read_symbol("in_t"), dtype=np.int8).reshape(64, 64)
    w = np.frombuffer(cluster.read_symbol("w_t"), dtype=np.int8).reshape(64, 64)
    b = unpack_bias24(cluster.read_symbol("bias_t"))
    act = ActivationParams(Activation.RELU, GeluConstants(), Requant(100, 6, -2))
    return linear(x, LinearParams(w, b, Requant(77, 15, 3), act))


def polled_job(cycles: int) -> int:
    """mcycle delta of timed_job in regs.c: TRIGGER 1 cycle after the first read, FINISHED
    polled every 2 cycles from 1 cycle after it, the second read 2 cycles after the last poll."""
    return 1 + 1 + 2 * -(-(cycles - 1) // 2) + 2


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_registers_job_timing_and_wfi(build, engine):
    elf = build("ita/regs.c", defines=["CASE=0"])
    cluster, report = run_program(elf, {}, engine=engine)
    info = np.frombuffer(cluster.read_symbol("info"), dtype=np.uint32).tolist()
    golden = linear_golden(cluster)
    assert len(np.unique(golden)) > 16
    for j in range(4):
        assert np.array_equal(np.frombuffer(cluster.read_symbol("out_t")[4096 * j : 4096 * (j + 1)], np.int8).reshape(64, 64), golden)
    t = TIMING
    one = t.job_setup + t.weight_fill + t.bias_fill + t.block_cycles + t.pipeline_latency
    assert one == 277
    assert info[0] == polled_job(one)
    assert info[1] == 1 and info[2] == 1  # busy right after the trigger; the first job finished
    assert one - 40 <= info[3] <= one + 8  # asleep in wfi until the completion event (detailed: L2 stores before)
    assert info[4:8] == [2, 3, 4, 5] and info[8] == 0xFFFF_FFFF and info[9] == 2  # 4 contexts
    assert info[10] == 6 and info[11] == 0
    # back to back: the first loads its weights, the next three were prefetched by nextload
    log = cluster.ita.log
    assert [r.weight_fill for r in log[2:]] == [t.weight_fill, 0, 0, 0]
    assert all(b.begin == a.end for a, b in zip(log[2:], log[3:]))
    assert log[5].end - log[2].begin == one + 3 * (one - t.weight_fill)
    assert one + 3 * (one - t.weight_fill) <= info[12] <= one + 3 * (one - t.weight_fill) + 40
    assert report.ita.jobs == 6 and report.ita.busy_cycles == 3 * one + 3 * (one - t.weight_fill)


ERRORS = {
    1: r"hart 8, .*sw .*ITA job 0 \(step MATMUL, output tile 1 of 1, inner tile 1 of 1\): INPUT_PTR 0x8[0-9a-f]{7}\.\.0x8[0-9a-f]{7} is not inside L1",
    2: r"ITA job 0 \(step MATMUL.*\): CTRL_STREAM output_disable must be clear \(output only on the last of 1 inner tiles\)",
    3: r"strict mode: ITA job 0 \(step MATMUL.*\), starting at cycle \d+, reads 0x1000[0-9a-f]{4}\.\.0x1000[0-9a-f]{4}, the destination of DMA transfer txid 2 .*wait for it first",
    4: r"strict mode: load from 0x1000[0-9a-f]{4} \(1 B\) at cycle \d+ reads the destination of ITA job 0 \(step MATMUL.*\), which completes at cycle \d+: wait for it first \(until ITA FINISHED > 0",
    5: r"strict mode: DMA transfer txid 2, starting at cycle \d+, writes 0x1000[0-9a-f]{4}\.\.0x1000[0-9a-f]{4}, a source of ITA job 0",
    6: r"ITA TRIGGER at cycle \d+ with all 4 job contexts busy: read ACQUIRE until it is not negative first",
    7: r"strict mode: ITA job 0 .*weight_preload is clear but the previous job did not set weight_nextload",
}


@pytest.mark.parametrize("case", sorted(ERRORS))
@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_register_errors_and_strict_mode(build, case, engine):
    elf = build("ita/regs.c", defines=[f"CASE={case}"])
    with pytest.raises(ProgramError, match=ERRORS[case]):
        run_program(elf, {}, engine=engine)


# -- the demo: firmware/examples/attention.c -------------------------------------------------------------


def demo_golden(cluster, S, E, P, F):
    from iss.ita import unpack_bias24

    def mat(name, rows, cols):
        return matrix(cluster, name, rows, cols)

    def bias(name):
        return unpack_bias24(cluster.read_symbol(name))

    eps = [100] * 8
    shifts = [18, 18, 18, 13, 12, 15, 16, 18]
    sets = RequantSets(*(Requant(e, s, 0) for e, s in zip(eps, shifts)))
    x = mat("X", S, E)
    head = attention(x, x, AttentionParams(mat("Wq", P, E), mat("Wk", P, E), mat("Wv", P, E), mat("Wo", E, P),
                                           bias("Bq"), bias("Bk"), bias("Bv"), bias("Bo"), sets))  # fmt: skip
    act = ActivationParams(Activation.GELU, GeluConstants(-80, -7091), Requant(74, 20, 0))
    ffn = feedforward(head.out, FeedforwardParams(mat("W1", F, E), bias("B1"), mat("W2", E, F), bias("B2"), sets, act))
    return x, head, ffn


def check_demo(cluster, S, E, P, F):
    x, head, ffn = demo_golden(cluster, S, E, P, F)
    # the inputs are the program's LCG, recomputed independently
    state, values = 12345, []
    for _ in range(64):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        values.append(((state >> 24) ^ 0x80) - 0x80)
    assert x.ravel()[:64].tolist() == values
    for name, want, shape in (("Q", head.q, (S, P)), ("K", head.k, (S, P)), ("VT", head.vt, (P, S)), ("A", head.a, (S, S)),
                              ("O", head.o, (S, P)), ("Y", head.out, (S, E)), ("H", ffn.h, (S, F)), ("OUT", ffn.out, (S, E))):  # fmt: skip
        assert np.array_equal(matrix(cluster, name, *shape), want), name
    assert len(np.unique(ffn.h)) > 32 and len(np.unique(ffn.out)) > 32


def test_attention_demo_matches_golden_and_reports_utilisation(build):
    S, E, P, F = 128, 128, 64, 512
    elf = build("firmware/examples/attention.c")
    cluster, report = run_program(elf, {})
    check_demo(cluster, S, E, P, F)
    text = cluster.output.text()
    assert "ITA attention head S=128 E=128 P=64 and FFN F=512" in text
    cycles = np.frombuffer(cluster.read_symbol("cycles"), dtype=np.uint32).tolist()
    assert re.search(rf"attention head: {cycles[0]} cycles, 6291456 MACs", text)
    assert re.search(rf"feed-forward  : {cycles[1]} cycles, 16777216 MACs", text)
    n_jobs = attention_jobs(S, E, P) + 2 * (S // 64) * (E // 64) * (F // 64)
    check_timing(cluster, report, n_jobs)
    # ITA is busy most of the measured time: tiles stream in while it computes
    assert report.ita.busy_cycles > 0.7 * sum(cycles)


def test_attention_demo_on_both_engines(build):
    S, E, P, F = 64, 64, 64, 128
    elf = build("firmware/examples/attention.c", defines=[f"S={S}", f"E={E}", f"P={P}", f"F={F}"])
    fast, rf = run_program(elf, {}, engine="fast")
    detailed, rd = run_program(elf, {}, engine="detailed")
    check_demo(detailed, S, E, P, F)
    for name in ("Y", "H", "OUT", "A"):
        assert fast.read_symbol(name) == detailed.read_symbol(name)
    assert (rf.ita.jobs, rf.ita.macs, rf.dma.bytes) == (rd.ita.jobs, rd.ita.macs, rd.dma.bytes)
