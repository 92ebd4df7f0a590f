"""The detailed engine (iss/detailed): same results and instruction counts as the fast engine
on every runtime program and the GEMM example, the timing model of PLATFORM.md section 6
checked cycle by cycle, exceptions, and F/D details the fast engine (QEMU 5) does not model."""

import io
import re

import numpy as np
import pytest

from conftest import PROGRAMS, ROOT, run_cli
from iss.cluster import Cluster
from iss.config import ClusterConfig
from iss.errors import ProgramError

RUNTIME_PROGRAMS = sorted(p.name for p in (PROGRAMS / "runtime").glob("*.c"))
# Symbols whose values are cycle counts (they differ because only one engine models latencies).
TIMING_SYMBOLS = {"after_barrier"}


def run(elf, engine, **config):
    cluster = Cluster(elf, ClusterConfig(engine=engine, **config), sink=io.StringIO())
    return cluster, cluster.run()


def ram_symbols(cluster):
    """Every sized symbol in RAM (code and data) of the program, by name."""
    mem, prog = cluster.memory, cluster.program
    return {
        name: cluster.read_symbol(name)
        for name, size in prog.symbol_sizes.items()
        if size and name not in TIMING_SYMBOLS and mem.locate(prog.symbols[name], size) is not None
    }


def assert_same_run(fast, rf, detailed, rd, compare_counts=True):
    assert rd.engine == "detailed" and rf.engine == "fast"
    assert rd.exit_code == rf.exit_code
    assert detailed.output.text() == fast.output.text()
    if compare_counts:
        assert [h.instructions for h in rd.harts] == [h.instructions for h in rf.harts]
    assert [h.state for h in rd.harts] == [h.state for h in rf.harts]
    sf, sd = ram_symbols(fast), ram_symbols(detailed)
    assert sf.keys() == sd.keys()
    assert [k for k in sf if sf[k] != sd[k]] == []


# -- same results as the fast engine ----------------------------------------------------------------


@pytest.mark.parametrize("quantum", [100_000, 1003])
@pytest.mark.parametrize("program", RUNTIME_PROGRAMS)
def test_runtime_programs_match_the_fast_engine(build, program, quantum):
    elf = build(f"runtime/{program}", defines=["ITERS=500"] if program == "atomics.c" else ())
    fast, rf = run(elf, "fast", quantum=quantum)
    detailed, rd = run(elf, "detailed", quantum=quantum)
    assert rf.exit_code == 0
    assert_same_run(fast, rf, detailed, rd)


def test_gemm_matches_the_fast_engine(build):
    elf = build("firmware/examples/gemm.c")
    fast, rf = run(elf, "fast")
    detailed, rd = run(elf, "detailed")
    # The program prints its mcycle delta, which only the detailed engine makes longer than the
    # instruction count; everything else is the same, including the checksum.
    cycles = re.compile(r"(\d+) cycles, (\d+) MAC/cycle")
    assert cycles.sub("", detailed.output.text()) == cycles.sub("", fast.output.text())
    assert "checksum 0xb44743ca" in detailed.output.text()
    assert int(cycles.search(detailed.output.text())[1]) > int(cycles.search(fast.output.text())[1])
    assert detailed.read_symbol("C") == fast.read_symbol("C")
    # Hart 0 prints a different number (another printf path); every other hart counts the same.
    assert [h.instructions for h in rd.harts[1:]] == [h.instructions for h in rf.harts[1:]]


def test_gemm_instruction_counts_are_identical(build, tmp_path):
    """gemm.c with its cycle count read from minstret: then the output too is the same."""
    wrapper = tmp_path / "gemm_minstret.c"
    wrapper.write_text(
        '#include "snrt.h"\n'
        "static inline uint32_t gemm_minstret(void) { return snrt_minstret(); }\n"
        "#define snrt_mcycle gemm_minstret\n"
        f'#include "{ROOT / "firmware" / "examples" / "gemm.c"}"\n'
    )
    elf = build(wrapper, defines=["M=16", "N=16", "K=24"])
    fast, rf = run(elf, "fast")
    detailed, rd = run(elf, "detailed")
    assert "checksum" in fast.output.text()
    assert_same_run(fast, rf, detailed, rd)


# -- timing model --------------------------------------------------------------------------------------

# (instructions between the two mcycle reads, stall cycles) per measurement of timing.c
TIMING_EXPECTED = [
    (9, 7 * 2),  # fp64 chain of 8 fadd.d: 7 dependent ops wait 2 cycles each (latency 3)
    (9, 0),  # 8 independent fp64 ops
    (9, 7 * 1),  # fp32 chain of 8 fadd.s: latency 2
    (1 + 10 * 3, 10 * 32),  # loop of 10 div: +32 each
    (11, 10 * 1),  # 10 mul: +1 each
    (9, 8 * 9),  # 8 loads from L2: 10 cycles each
    (9, 0),  # 8 loads from L1: 1 cycle each
    (5, 4 * 9),  # 4 stores to L2
    (3, 2),  # integer reader right after feq.d
    (5, 0),  # ... three instructions later
    (7, 2 + 3 * 2),  # fsd of an fmul.d result, then 4 dependent fmadd.d
    (3, 9),  # fld from L2, used at once by fadd.d: only the L2 access
]


def test_timing_model_cycle_exact(build):
    elf = build("detailed/timing.c")
    fast, _ = run(elf, "fast")
    detailed, report = run(elf, "detailed")
    deltas_fast = np.frombuffer(fast.read_symbol("deltas"), dtype=np.uint32).tolist()
    deltas = np.frombuffer(detailed.read_symbol("deltas"), dtype=np.uint32).tolist()
    # The fast engine's mcycle is its instruction count: it checks the counts of the table.
    assert deltas_fast == [n for n, _ in TIMING_EXPECTED]
    assert deltas == [n + stalls for n, stalls in TIMING_EXPECTED]
    h0 = report.harts[0]
    assert h0.cycles == h0.instructions + h0.stall_cycles
    assert h0.stall_cycles >= sum(s for _, s in TIMING_EXPECTED)


# -- exceptions ------------------------------------------------------------------------------------------


def test_traps_are_taken_as_the_spec_says_and_as_the_fast_engine(build):
    elf = build("detailed/traps.c")
    fast, rf = run(elf, "fast")
    detailed, rd = run(elf, "detailed")
    assert_same_run(fast, rf, detailed, rd)
    sym = detailed.program.symbols
    n = int(np.frombuffer(detailed.read_symbol("ntraps"), dtype=np.uint32)[0])
    log = np.frombuffer(detailed.read_symbol("trap_log"), dtype=np.uint32).reshape(-1, 4)[:n].tolist()
    words = sym["words"]
    word = detailed.original_word
    assert log == [
        [4, words + 1, sym["t_lw"], 3],  # misaligned load: mtval = address
        [6, words + 2, sym["t_sw"], 3],  # misaligned store
        [4, words + 3, sym["t_lh"], 3],
        [6, words + 4, sym["t_fsd"], 3],
        [6, words + 2, sym["t_amo"], 3],  # AMO: store/AMO address misaligned
        [5, 0x2000_0000, sym["t_ld5"], 3],  # unmapped load
        [7, 0x2000_0004, sym["t_st7"], 3],  # unmapped store
        [2, 0xFFFF_FFFF, sym["t_ill"], 3],  # illegal instruction: mtval = the word
        [3, sym["t_brk"], sym["t_brk"], 3],  # ebreak: mtval = pc
        [11, 0, sym["t_ecm"], 3],  # ecall from M-mode
        [2, word(sym["t_ucsr"]), sym["t_ucsr"], 0],  # mscratch from U-mode: illegal; MPP = U
        [8, 0, sym["t_ecu"], 0],  # ecall from U-mode
    ]
    assert detailed.read_symbol("words") == bytes.fromhex("11111111222222223333333344444444")  # no partial stores
    assert np.frombuffer(detailed.read_symbol("after_user"), dtype=np.uint32)[0] == 100  # back in M-mode


def test_cluster_interrupt_wakes_wfi_and_is_taken_as_in_the_fast_engine(build):
    elf = build("detailed/irq.c")
    fast, rf = run(elf, "fast")
    detailed, rd = run(elf, "detailed")
    assert_same_run(fast, rf, detailed, rd)
    mcause, mepc = np.frombuffer(detailed.read_symbol("irq_log"), dtype=np.uint32).tolist()
    assert mcause == 0x8000_0013  # interrupt 19: cluster-local (cl_clint)
    assert mepc == detailed.program.symbols["t_wfi"] + 4  # taken after the wfi that slept
    assert rd.harts[0].stall_cycles > 0  # asleep until hart 1 raised it


def test_exception_without_handler_is_a_clear_error(build):
    elf = build("detailed/traps.c", defines=["NO_HANDLER"])
    messages = {}
    for engine in ("fast", "detailed"):
        proc = run_cli("run", elf, "--engine", engine, "--report", "none")
        assert proc.returncode == 3, proc.stderr
        assert "Traceback" not in proc.stderr
        messages[engine] = proc.stderr.strip()
    main, _, recent = messages["detailed"].partition(" [last instructions: ")
    assert main == messages["fast"].partition(" [last instructions: ")[0]
    assert re.fullmatch(
        r"iss: error: hart 0, pc 0x[0-9a-f]{8} \(t_lw\): lw \w+,1\(\w+\) \[0x[0-9a-f]{8}\]: misaligned load from "
        r"address 0x10000001 \(4 B\), and no trap handler is installed \(mtvec = 0\)",
        main,
    )
    assert recent.count(";") == 7  # the last 8 retired instructions


def test_unsupported_custom_instruction_use_is_a_clear_error(build):
    """scfgwi of 0 to the SSR status register (dm 0, reg 0) would start a stream: not supported
    (tests/test_ssr_frep.py covers Xssr and Xfrep)."""
    elf = build("detailed/traps.c", defines=["CUSTOM"])
    for engine in ("detailed", "fast"):
        with pytest.raises(ProgramError, match=r"scfgwi.*SSR status register \(reg 0\) is not supported"):
            run(elf, engine)


# -- single instructions, from hand-written assembly -------------------------------------------------------

@pytest.fixture(scope="session")
def asm(asm_builder):
    """asm(body, data="") -> ELF running `body` on hart 0 (in M-mode, FPU off), then exit 0."""
    return asm_builder


def run_asm(elf, engine="detailed"):
    cluster = Cluster(elf, ClusterConfig(engine=engine, cores=1), sink=io.StringIO())
    report = cluster.run()
    assert report.exit_code == 0
    return cluster.harts[0]


def test_single_precision_values_are_nan_boxed(asm):
    h = run_asm(
        asm(
            """
    li t0, 0x2000
    csrs mstatus, t0
    la a0, values
    flw f1, 0(a0)         # 1.5f, boxed by the load
    fadd.s f2, f1, f1     # 3.0f, boxed
    fld f3, 8(a0)         # a float without its box
    fadd.s f4, f3, f3     # reads as the canonical NaN
    fmv.w.x f5, t0
    fmv.x.w a1, f3        # transfers use the raw low bits
    fclass.s a2, f3       # quiet NaN
    fsgnjn.s f6, f1, f1
    fcvt.d.s f7, f3
    fsw f1, 16(a0)
    csrr a3, fflags
    csrr a4, mstatus
    j exit
""",
            ".globl values\nvalues: .float 1.5\n .word 0\n .dword 0x3fc00000\n .dword 0",
        )
    )
    assert h.f[1] == 0xFFFF_FFFF_3FC0_0000
    assert h.f[2] == 0xFFFF_FFFF_4040_0000
    assert h.f[4] == 0xFFFF_FFFF_7FC0_0000
    assert h.f[5] == 0xFFFF_FFFF_0000_2000
    assert h.x[11] == 0x3FC0_0000
    assert h.x[12] == 1 << 9
    assert h.f[6] == 0xFFFF_FFFF_BFC0_0000
    assert h.f[7] == 0x7FF8_0000_0000_0000
    assert h.cluster.read_symbol("values", 24)[16:20] == bytes.fromhex("0000c03f")
    assert h.x[13] == 0  # canonical-NaN inputs are quiet: no flag
    assert h.x[14] >> 13 & 3 == 3 and h.x[14] >> 31 == 1  # FS dirty, SD


@pytest.mark.parametrize(
    "body, message",
    [
        ("fadd.d f0, f1, f2", r"FPU off: mstatus\.FS = 0"),
        ("csrr a0, fcsr", r"illegal instruction \(CSR 0x003\)"),
        ("li t0, 0x2000\n csrs mstatus, t0\n csrwi frm, 5\n fadd.d f0, f1, f2", "invalid rounding mode"),
        ("csrr a0, 0x7c1", r"illegal instruction \(CSR 0x7c1\)"),  # not implemented
        ("csrw mhartid, zero", r"CSR 0xf14 from M-mode"),  # read-only
        ("sret", "no Supervisor mode"),
        ("la t0, 1f\n csrw mepc, t0\n mret\n1: mret", r"mret outside M-mode"),
        ("li t0, 0x10000002\n jalr t0", r"jump to misaligned address 0x10000002"),
        ("li t0, 0x10030000\n lw t1, 0(t0)\n li t0, 0x10040000\n lw t1, 0(t0)", r"load from unmapped address 0x10040000"),
        ("li t0, 0x10040000\n jr t0", r"instruction fetch from unmapped address 0x10040000"),
    ],
)
def test_illegal_and_faulting_instructions(asm, body, message):
    with pytest.raises(ProgramError, match=message):
        run_asm(asm(body))


def test_mret_restores_privilege_and_interrupt_enable(asm):
    h = run_asm(
        asm(
            """
    li t0, 0x1888        # MPP = M, MPIE = 1, MIE = 1
    csrw mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a0, mstatus
    csrr a1, misa
    j exit
"""
        )
    )
    assert h.priv == 3
    assert h.x[10] == 0x88  # MIE <- MPIE, MPIE <- 1, MPP <- U (the least-privileged mode)
    assert h.x[11] == 0x4090_1129  # RV32 I M A F D U X


def test_integer_edge_cases(asm):
    h = run_asm(
        asm(
            """
    li a0, 0x80000000
    li a1, -1
    div a2, a0, a1       # overflow: the dividend
    rem a3, a0, a1       # 0
    div a4, a0, zero     # -1
    remu a5, a0, zero    # the dividend
    mulh a6, a0, a0      # 0x40000000
    mulhsu a7, a1, a1    # -1 * 0xffffffff >> 32 = -1
    sra s2, a0, a1       # shift by 31: -1
    sltiu s3, zero, -1   # 0 < 0xffffffff
    lb s4, neg8
    lhu s5, neg8
    j exit
"""
            ,
            "neg8: .half 0xff80",
        )
    )
    x = h.x
    assert [x[12], x[13], x[14], x[15], x[16], x[17]] == [0x8000_0000, 0, 0xFFFF_FFFF, 0x8000_0000, 0x4000_0000, 0xFFFF_FFFF]
    assert [x[18], x[19], x[20], x[21]] == [0xFFFF_FFFF, 1, 0xFFFF_FF80, 0xFF80]


def _loop_cycles(build, same_bank: bool, cores: int):
    import numpy as np

    from iss.cluster import Cluster
    from iss.config import ClusterConfig

    elf = build("detailed/banks.c", defines=["SAME_BANK"] if same_bank else [])
    cluster = Cluster(elf, ClusterConfig(cores=cores, engine="detailed"), sink=open("/dev/null", "w"))
    cluster.run()
    return np.frombuffer(cluster.read_symbol("cycles"), dtype=np.uint32)[: cores + 1].tolist(), cluster.tcdm.conflicts


def test_l1_bank_conflicts_cost_cycles(build):
    """Own banks: every hart takes the single-hart time. One bank: the arbiter delays the later
    hart by exactly one cycle for two harts (then their loads interleave), and by more as more
    harts share the bank."""
    separate, conflicts = _loop_cycles(build, same_bank=False, cores=8)
    alone = 3 * 300 + 1  # lw, addi, bnez per iteration, plus the second csrr
    assert separate == [alone] * 9  # (start-up code elsewhere may still meet in a bank)
    two, _ = _loop_cycles(build, same_bank=True, cores=1)
    assert sorted(two) == [alone, alone + 1]  # the hart simulated first wins the bank
    nine, conflicts = _loop_cycles(build, same_bank=True, cores=8)
    assert min(nine) == alone and sorted(nine)[1] > alone and sum(nine) > 9 * alone + 8
