"""Xssr and Xfrep (reference/snitch.md sections 1 and 2): stream semantic registers and FP
repetition in the detailed engine, the fast engine's hand-off to it, and lockstep across the
hand-off. Results are checked against numpy; both engines must agree on results and on every
hart's instruction count."""

import io
import re

import numpy as np
import pytest

from conftest import run_cli
from iss.cluster import Cluster
from iss.config import ClusterConfig
from iss.elf import load_program
from iss.errors import ProgramError
from iss.lockstep import run_lockstep

F64 = np.float64


def run(elf, engine, **config):
    cluster = Cluster(elf, ClusterConfig(engine=engine, **config), sink=io.StringIO())
    report = cluster.run()
    assert report.exit_code == 0
    return cluster, report


def sym(cluster, name, dtype=F64):
    return np.frombuffer(cluster.read_symbol(name), dtype=dtype)


@pytest.fixture(scope="module")
def kernels(build):
    """kernels.c (N = 64) on both engines: {engine: (cluster, report)}."""
    elf = build("ssr/kernels.c")
    return {engine: run(elf, engine) for engine in ("fast", "detailed")}


def test_engines_agree_on_results_and_instruction_counts(kernels):
    (fast, rf), (detailed, rd) = kernels["fast"], kernels["detailed"]
    assert [h.instructions for h in rf.harts] == [h.instructions for h in rd.harts]
    for name in ("x", "y", "out", "permuted", "seq_out", "res_dot", "res_dot_bcast", "res_mv", "res_frep_i",
                 "res_frep_i_stagger", "res_split", "res_single", "cfg_reads", "counts"):  # fmt: skip
        assert fast.read_symbol(name) == detailed.read_symbol(name), name
    # The fast engine ran the SSR/FREP code on its hand-off instance, and says how much.
    assert 0 < rf.harts[0].handoff_instructions < rf.harts[0].instructions // 2
    assert rf.handoff_instructions == rf.harts[0].handoff_instructions
    assert rd.handoff_instructions == 0
    assert "hand-off" in rf.to_text() and "detailed engine" in rf.to_text()


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_dot_product_two_read_streams_and_frep(kernels, engine):
    cluster, _ = kernels[engine]
    x, y = sym(cluster, "x"), sym(cluster, "y")
    assert sym(cluster, "res_dot")[0] == np.dot(x, y) != 0
    assert sym(cluster, "res_dot_bcast")[0] == np.dot(x, y)  # configured through dm 31


def test_each_repetition_counts_as_one_instruction(build):
    """minstret around the dot product and axpy kernels grows by exactly 1 per element."""
    counts = {}
    for n in (64, 100):
        elf = build("ssr/kernels.c", defines=[f"N={n}"])
        for engine in ("fast", "detailed"):
            cluster, _ = run(elf, engine)
            counts[n, engine] = sym(cluster, "counts", np.uint32).tolist()
            assert sym(cluster, "res_dot")[0] == np.dot(sym(cluster, "x"), sym(cluster, "y"))
    for engine in ("fast", "detailed"):
        assert counts[100, engine][0] - counts[64, engine][0] == 36  # dot
        assert counts[100, engine][1] - counts[64, engine][1] == 36  # axpy
        assert counts[100, engine][2:] == counts[64, engine][2:]
    assert counts[64, "fast"] == counts[64, "detailed"]


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_2d_stream_with_repeat_and_staggered_accumulators(kernels, engine):
    """matvec4: a 2-D read stream of the matrix (column by column), the vector repeated 4 times
    on a second stream, fmadd rd/rs3 staggered over four accumulators (one per row)."""
    cluster, _ = kernels[engine]
    mat, vec = sym(cluster, "mat").reshape(4, -1), sym(cluster, "vec")
    assert sym(cluster, "res_mv").tolist() == (mat @ vec).tolist()
    assert np.count_nonzero(mat @ vec) >= 3


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_write_stream_axpy(kernels, engine):
    cluster, _ = kernels[engine]
    x, y = sym(cluster, "x"), sym(cluster, "y")
    assert sym(cluster, "out").tolist() == (1.5 * x + y).tolist()


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_4d_stream(kernels, engine):
    cluster, _ = kernels[engine]
    tensor = sym(cluster, "tensor").reshape(2, 3, 2, 2)
    assert sym(cluster, "permuted").tolist() == tensor.transpose(0, 3, 1, 2).ravel().tolist()


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_shadowed_configuration_and_configuration_reads(kernels, engine):
    cluster, _ = kernels[engine]
    # 4 elements of seq_a, then the stream queued while it ran: 3 elements of seq_b, stride 16.
    assert sym(cluster, "seq_out").tolist() == [10, 11, 12, 13, 20, 22, 24]
    bounds_running, stride_running, done, bounds_idle, stride_masked, repeat, ssr_on, ssr_off = sym(
        cluster, "cfg_reads", np.uint32
    ).tolist()
    assert (bounds_running, stride_running) == (3, 8)  # the running job's, not the shadow's 2, 16
    assert done == 1 and bounds_idle == 2
    assert stride_masked == 8  # 12 written: strides are multiples of 8 bytes
    assert repeat == 2  # snrt_ssr_repeat(dm, 3) stores count - 1
    assert (ssr_on, ssr_off) == (1, 0)  # csrr ssr inside and outside an enabled region


@pytest.mark.parametrize("engine", ["fast", "detailed"])
def test_frep_i_and_stream_state_across_regions(kernels, engine):
    cluster, _ = kernels[engine]
    a, b, c = 1.25, 0.5, 2.0
    assert sym(cluster, "res_frep_i")[0] == (a + 3 * b) * c**3
    # One stagger counter over all issues of frep.i: fadd to ft3, ft4; fmul to ft5, ft3.
    assert sym(cluster, "res_frep_i_stagger").tolist() == [(a + b) * c, a + b, a * c]
    # One 8-element stream consumed by two enabled regions (two hand-offs on the fast engine).
    assert sym(cluster, "res_split").tolist() == [10 + 11 + 12 + 13, 14 + 15 + 16 + 17]
    assert sym(cluster, "res_single", np.float32)[0] == np.float32(1.5 * 0.25 + 5 * 0.25)


@pytest.mark.parametrize("n", [64, 256])
def test_frep_issues_one_fp_instruction_per_cycle(build, n):
    """N fmadd.d in an FREP: staggered over 4 accumulators they issue one per cycle (N + 6 cycles
    for the N + 4 instructions of the measured region); on one accumulator each waits for the
    previous result (fp64 latency 3): 3N + 4."""
    elf = build("ssr/timing.c", defines=[f"N={n}"])
    results = {}
    for engine in ("detailed", "fast"):
        cluster, _ = run(elf, engine)
        x, y = sym(cluster, "x"), sym(cluster, "y")
        assert sym(cluster, "sums").tolist() == [np.dot(x, y)] * 2
        results[engine] = sym(cluster, "cycles", np.uint32).tolist(), sym(cluster, "instrs", np.uint32).tolist()
    cycles, instrs = results["detailed"]
    assert instrs == [n + 4, n + 4]
    assert cycles == [n + 6, 3 * n + 4]
    # The fast engine runs the region on its hand-off instance: same counts, same timing.
    assert results["fast"] == results["detailed"]


def test_ssr_mixed_with_ordinary_code_on_all_cores(build):
    """Every compute core streams its own data between integer and plain FP code, three rounds
    with barriers, under the default (fast) engine; the detailed engine agrees."""
    elf = build("ssr/mix.c")
    fast, rf = run(elf, "fast")
    detailed, rd = run(elf, "detailed")
    assert rf.engine == "fast"
    xs, ys = sym(fast, "xs").reshape(8, -1), sym(fast, "ys").reshape(8, -1)
    lens = [[48 - 8 * r - m for r in range(3)] for m in range(8)]
    dots = [[np.dot(xs[m, :n], ys[m, :n]) for n in lens[m]] for m in range(8)]
    zsum = [[np.sum(0.5 * (r + 1) * xs[m, :n] + ys[m, :n]) for r, n in enumerate(lens[m])] for m in range(8)]
    assert sym(fast, "ssr_dots").reshape(8, 3).tolist() == dots
    assert sym(fast, "plain_dots").reshape(8, 3).tolist() == dots
    assert sym(fast, "z_sums").reshape(8, 3).tolist() == zsum
    for name in ("ssr_dots", "plain_dots", "z_sums", "isums", "counts", "zs"):
        assert fast.read_symbol(name) == detailed.read_symbol(name), name
    assert [h.instructions for h in rf.harts] == [h.instructions for h in rd.harts]
    assert all(h.handoff_instructions > 0 for h in rf.harts[:8]) and rf.harts[8].handoff_instructions == 0
    assert [h.handoff.entries for h in fast.harts[:8]] == [6] * 8  # 2 kernels x 3 rounds


def test_barrier_inside_an_enabled_region(build):
    """Every compute core arrives at the hardware barrier with streams enabled (on the fast
    engine: from its hand-off instance); all leave at the same cycle and finish their stream."""
    elf = build("ssr/barrier.c")
    runs = {engine: run(elf, engine) for engine in ("fast", "detailed")}
    for engine, (cluster, _) in runs.items():
        data = sym(cluster, "data").reshape(8, -1)
        assert sym(cluster, "sums").tolist() == data.sum(axis=1).tolist()
        after = sym(cluster, "after", np.uint32)
        assert len(set(after.tolist())) == 1, engine
    assert [h.instructions for h in runs["fast"][1].harts] == [h.instructions for h in runs["detailed"][1].harts]


@pytest.mark.parametrize("program, cores", [("ssr/kernels.c", 1), ("ssr/timing.c", 1), ("ssr/mix.c", 8), ("ssr/barrier.c", 8)])
def test_lockstep_across_the_hand_off(build, program, cores):
    """A fast hart that switches to its detailed instance and back is compared instruction by
    instruction with the detailed engine, as any other (cycle counters read inside a hand-off
    are resynchronised like those read by Unicorn)."""
    elf = build(program)
    result = run_lockstep(load_program(elf), ClusterConfig(cores=cores))
    assert result.exit_code == 0


# -- errors ------------------------------------------------------------------------------------------

ERRORS = [
    ("PTR_L2", r"hart 0, pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): fadd\.d \w+,\w+,ft0 \[0x[0-9a-f]{8}\]: SSR data mover 0 "
               r"\(ft0\): element address 0x8[0-9a-f]{7} of the 1-D read stream of 4 elements at 0x8[0-9a-f]{7} is "
               r"outside L1 \(0x10000000\.\.0x1001ffff\); streams access L1 \(TCDM\) only"),
    ("INT_IN_BODY", r"hart 0, pc 0x[0-9a-f]{8} \(main\+0x[0-9a-f]+\): frep\.o \w+,2,0,0 \[0x[0-9a-f]{8}\]: illegal "
                    r"instruction \(frep\.o body instruction 2 of 2 at 0x[0-9a-f]{8}, addi \w+,\w+,1 \[0x[0-9a-f]{8}\], "
                    r"is not an FP instruction.*\), and no trap handler is installed"),
    ("NO_STREAM", r"hart 0, .*: fadd\.d \w+,\w+,ft0 .*: reads ft0 with SSRs enabled, but on data mover 0 no stream is "
                  r"running"),
    ("PENDING", r"hart 0, .*: scfgwi \w+,0x40 .*: configuration write to SSR data mover 0 while a stream is already "
                r"queued behind the running one .*\(deadlock\)"),
    ("DMA_CORE", r"hart 8, .*: scfgwi \w+,0x40 .*: illegal instruction \(scfgwi: Xssr exists on the compute cores "
                 r"only, not on the DMA core\), and no trap handler is installed"),
]  # fmt: skip


@pytest.mark.parametrize("define, message", ERRORS, ids=[d for d, _ in ERRORS])
def test_misuse_is_a_clear_error_on_both_engines(build, define, message):
    elf = build("ssr/errors.c", defines=[define])
    texts = {}
    for engine in ("fast", "detailed"):
        proc = run_cli("run", elf, "--engine", engine, "--report", "none")
        assert proc.returncode == 3, proc.stderr
        assert "Traceback" not in proc.stderr
        assert re.search(message, proc.stderr), proc.stderr
        texts[engine] = proc.stderr.partition(" [last instructions: ")[0].strip()
    assert texts["fast"] == texts["detailed"]


# -- single instructions, from hand-written assembly (detailed engine) -------------------------------------

@pytest.fixture(scope="module")
def asm(asm_builder):
    """asm(body) -> ELF running `body` on hart 0 with the FPU on, then exit 0."""
    return lambda body: asm_builder(body, fpu=True)


def run_asm(elf, engine="detailed"):
    cluster, _ = run(elf, engine, cores=1)
    return cluster.harts[0]


def regs(h) -> dict:
    """x1..x31, f0..f31 of either engine's hart."""
    return h.arch_state()


def as_double(bits: int) -> float:
    return float(np.frombuffer(bits.to_bytes(8, "little"), F64)[0])


def test_stagger_alternates_a_source_register(asm):
    """snitch_cluster frep2d_stagger: stagger_max 1, mask 0b0100 alternates rs2 between two
    registers: fa0 += fa2, fa3, fa2, fa3."""
    elf = asm(
        """
    li t1, 1
    fcvt.d.w fa2, t1
    li t1, 10
    fcvt.d.w fa3, t1
    fcvt.d.w fa0, zero
    li t2, 3
    .insn i 0x0b, 1, x9, t2, 0      # frep.o t2, 1, 1, 0b0100
    fadd.d fa0, fa0, fa2
    fmv.d fa1, fa0
    j exit
"""
    )
    for engine in ("detailed", "fast"):
        assert as_double(regs(run_asm(elf, engine))["f11"]) == 22.0


def test_frep_count_is_rs1_low_16_bits_plus_one(asm):
    elf = asm(
        """
    li t1, 1
    fcvt.d.w fa2, t1
    fcvt.d.w fa0, zero
    li t2, 0x10002          # rs1[15:0] = 2: three iterations
    .insn i 0x0b, 0, x1, t2, 0
    fadd.d fa0, fa0, fa2
    fmv.x.w a0, fa0
    fcvt.w.d a1, fa0
    j exit
"""
    )
    for engine in ("detailed", "fast"):
        assert regs(run_asm(elf, engine))["x11"] == 3


@pytest.mark.parametrize("engine", ["detailed", "fast"])
def test_trap_in_frep_body_cancels_the_loop(asm, engine):
    """FS turned off by the handler's caller: the body's first issue traps; the handler turns the
    FPU on and returns after the body; the loop is gone."""
    elf = asm(
        """
    la t0, handler
    csrw mtvec, t0
    li t0, 0x6000
    csrc mstatus, t0        # FPU off
    li t2, 5
    .insn i 0x0b, 0, x1, t2, 0
body:
    fadd.d fa0, fa0, fa2
    li a0, 7
    j exit
handler:
    csrr a1, mcause
    csrr a2, mepc
    li t0, 0x2000
    csrs mstatus, t0
    la t0, body + 4
    csrw mepc, t0
    mret
"""
    )
    h = run_asm(elf, engine)
    r = regs(h)
    assert r["x10"] == 7 and r["x11"] == 2
    assert r["x12"] == h.cluster.program.symbols["body"]
    assert r["instret"] == h.instret
    if engine == "fast":
        assert not h.handoff.active  # the trap left streams off and no loop: back in Unicorn


def test_ssr_csr_reads_and_writes_bit_0(asm):
    elf = asm(
        """
    csrsi 0x7c0, 1
    csrr a0, 0x7c0
    csrci 0x7c0, 1
    csrr a1, 0x7c0
    csrw 0x7c0, 3           # bit 0 only
    csrr a2, 0x7c0
    csrw 0x7c0, zero
    j exit
"""
    )
    for engine in ("detailed", "fast"):
        r = regs(run_asm(elf, engine))
        assert (r["x10"], r["x11"], r["x12"]) == (1, 0, 1)


def test_nested_frep_is_rejected(asm):
    elf = asm(
        """
    li t2, 1
    .insn i 0x0b, 0, x1, t2, 1
    .insn i 0x0b, 0, x1, t2, 0
    fadd.d fa0, fa0, fa0
    j exit
"""
    )
    with pytest.raises(ProgramError, match=r"nested FREP loops are not supported"):
        run_asm(elf)


def test_register_forms_and_broadcast_configuration(asm):
    """scfgw/scfgr take the address (reg << 5 | dm) from rs2; dm 31 writes every mover, a dm
    with no mover reads 0; an idle mover's status has only the done bit."""
    elf = asm(
        """
    li t1, 7
    li t2, (2 << 5) | 31
    .insn r 0x2b, 2, 0, x1, t1, t2      # scfgw t1, t2: bounds[0] of all movers
    li t3, (2 << 5) | 1
    .insn r 0x2b, 1, 0, a0, x1, t3      # scfgr a0, t3: bounds[0] of DM1
    li t3, (2 << 5) | 2
    .insn r 0x2b, 1, 0, a1, x1, t3
    li t3, (2 << 5) | 5
    .insn r 0x2b, 1, 0, a2, x1, t3      # no DM5
    .insn i 0x2b, 1, a3, x0, 0          # scfgri a3, status of DM0
    li t1, 0x10000000
    .insn i 0x2b, 2, x0, t1, (24 << 5) | 1   # rptr[0] of DM1: an 8-element read stream
    .insn i 0x2b, 1, a4, x0, 1          # status of DM1: running, read, 1-D, pointer
    j exit
"""
    )
    for engine in ("detailed", "fast"):
        r = regs(run_asm(elf, engine))
        assert (r["x10"], r["x11"], r["x12"], r["x13"]) == (7, 7, 0, 1 << 31)
        assert r["x14"] == 0x1000_0000 & ((1 << 27) - 1)  # done 0, write 0, dims 0
