"""Traps as PLATFORM.md section 1 demands them, checked against the RISC-V privileged spec.

The programs in tests/programs/traps/ are written in the riscv-tests "p" environment style
(penv.h: entry at 0x80000000, `tohost` in its own page, harts other than 0 asleep in wfi,
PMP opened, the test body entered through mret). Their trap handler logs {mcause, mepc,
mtval, mstatus} of every trap; the programs also store what they observe in `results`.
The tests run them on one compute core (`--cores 1`), with both engines, and compare the
log and the results with the values the spec requires, worked out here from the programs'
symbols and words:

  illegal.S    illegal instructions and CSRs: mcause 2, mepc, mtval = instruction word
  ecall.S      ecall from M (11) and from U (8) after mret with MPP = 0, ebreak (3),
               privilege checks in U-mode (M CSRs, mret, counters vs mcounteren)
  mstatus.S    MIE/MPIE/MPP across trap entry and mret, mret returning to mepc
  memfault.S   unmapped loads/stores/AMOs (5/7, mtval = address), unmapped fetch (1)
  misaligned.S misaligned loads/stores/AMOs (4/6, mtval = address, no side effect),
               jumps to pc = 2 mod 4 (0, mtval = target)
  exit.S       exact instruction count at exit through SIM_EXIT and `tohost`
"""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from iss import privileged as pv
from iss.cluster import Cluster
from iss.config import ClusterConfig
from iss.elf import Program, load_program

ROOT = Path(__file__).resolve().parent.parent
TRAPS = ROOT / "tests" / "programs" / "traps"
GCC = "riscv64-unknown-elf-gcc"
ASFLAGS = [
    "-march=rv32imafd_zicsr",
    "-mabi=ilp32d",
    "-nostdlib",
    "-nostartfiles",
    "-Wl,--no-warn-rwx-segments",
    f"-T{TRAPS / 'link.ld'}",
    f"-I{TRAPS}",
]

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} not installed")

MASK = pv.MSTATUS_MIE | pv.MSTATUS_MPIE | pv.MSTATUS_MPP
MPP_M = pv.PRIV_M << pv.MSTATUS_MPP_SHIFT
MPP_U = pv.PRIV_U << pv.MSTATUS_MPP_SHIFT


@pytest.fixture(params=["fast", "detailed"])
def engine(request):
    return request.param


@pytest.fixture(scope="session")
def build_asm(tmp_path_factory):
    """build_asm(source, defines=()) -> ELF path; assembled once per session."""
    out = tmp_path_factory.mktemp("traps")
    cache: dict[tuple, Path] = {}

    def _build(source: str, defines: tuple[str, ...] = ()) -> Path:
        key = (source, tuple(defines))
        if key not in cache:
            elf = out / f"{Path(source).stem}{''.join('-' + d for d in defines)}.elf"
            cmd = [GCC, *ASFLAGS, *(f"-D{d}" for d in defines), str(TRAPS / source), "-o", str(elf)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            cache[key] = elf
        return cache[key]

    return _build


@dataclass(frozen=True)
class Trap:
    cause: int
    epc: int
    tval: int
    mstatus: int  # only MIE, MPIE and MPP are kept


@dataclass
class PenvRun:
    cluster: Cluster
    exit_code: int
    instructions: list[int]  # per hart
    output: str

    @property
    def program(self) -> Program:
        return self.cluster.program

    def sym(self, name: str) -> int:
        return self.program.symbols[name]

    def u32(self, address: int) -> int:
        return self.cluster.memory.read_u32(address)

    def results(self, count: int) -> list[int]:
        return [self.u32(self.sym("results") + 4 * i) for i in range(count)]

    def traps(self) -> list[Trap]:
        count = self.u32(self.sym("trap_count"))
        log = self.sym("trap_log")
        entries = []
        for i in range(count):
            cause, epc, tval, mstatus = (self.u32(log + 16 * i + 4 * j) for j in range(4))
            entries.append(Trap(cause, epc, tval, mstatus & MASK))
        return entries

    def elf_word(self, address: int) -> int:
        """The instruction word at `address` as the ELF file holds it (not as loaded/patched)."""
        for seg in self.program.segments:
            if seg.address <= address < seg.address + len(seg.data):
                off = address - seg.address
                return int.from_bytes(seg.data[off : off + 4], "little")
        raise KeyError(hex(address))


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def run_penv(elf: Path, engine: str = "fast", check_alignment: bool = True, cores: int = 1) -> PenvRun:
    sink = _Sink()
    config = ClusterConfig(cores=cores, engine=engine, check_alignment=check_alignment, max_cycles=10**6)
    cluster = Cluster(load_program(elf), config, sink)
    report = cluster.run()
    return PenvRun(cluster, report.exit_code, [h.instructions for h in report.harts], sink.text)


# -- illegal instructions ------------------------------------------------------------------

ILLEGAL = [
    "ill_zero",
    "ill_ones",
    "ill_custom3",
    "ill_csr_7ff",
    "ill_satp",
    "ill_sstatus",
    "ill_medeleg",
    "ill_sret",
    "ill_sfence_vma",
    "ill_16bit",
    "ill_mhartid_write",
    "ill_mvendorid_write",
    "ill_cycle_write",
    "ill_fcsr_fs_off",
    "ill_fadd_fs_off",
]


def test_illegal_instructions_trap_with_the_instruction_word(build_asm, engine):
    run = run_penv(build_asm("illegal.S"), engine)
    assert run.exit_code == 0
    expected = [Trap(pv.CAUSE_ILLEGAL_INSTRUCTION, run.sym(n), run.elf_word(run.sym(n)), MPP_M) for n in ILLEGAL]
    assert run.traps() == expected
    a0, a1, after_each, count = run.results(4)
    assert (a0, a1) == (0x1234, 0x5678), "an illegal CSR read must not write rd"
    assert after_each == len(ILLEGAL), "mret must resume at mepc + 4, once per trap"
    assert count == len(ILLEGAL)


# -- ecall, ebreak, U-mode -------------------------------------------------------------------


def test_ecall_ebreak_from_m_and_u_mode(build_asm, engine):
    run = run_penv(build_asm("ecall.S"), engine)
    assert run.exit_code == 0
    traps = run.traps()
    s = run.sym
    # From M-mode (MIE was 0 when trapping: MPIE = 0).
    assert traps[0] == Trap(pv.CAUSE_ECALL_M, s("ecall_m"), 0, MPP_M)
    assert traps[1].cause == pv.CAUSE_BREAKPOINT and traps[1].epc == s("ebreak_m")
    assert traps[1].tval in (0, s("ebreak_m")), "mtval of a breakpoint is 0 or its pc"
    # From U-mode: entered by mret with MPP = 0, which set MIE <- MPIE = 1; a trap then
    # saves MPIE = 1 and MPP = U.
    from_u = pv.MSTATUS_MPIE | MPP_U
    illegal_in_u = ["u_mstatus", "u_mhartid", "u_mcycle", "u_barrier", "u_cycle", "u_instret", "u_mret"]
    expected = [Trap(pv.CAUSE_ILLEGAL_INSTRUCTION, s(n), run.elf_word(s(n)), from_u) for n in illegal_in_u]
    assert traps[2 : 2 + len(illegal_in_u)] == expected
    rest = traps[2 + len(illegal_in_u) :]
    assert rest[0].cause == pv.CAUSE_BREAKPOINT and rest[0].epc == s("u_ebreak") and rest[0].mstatus == from_u
    assert rest[1] == Trap(pv.CAUSE_ECALL_U, s("ecall_u"), 0, from_u)
    # With mcounteren.CY/IR set, cycle and instret are readable in U-mode: no trap before ecall_u2.
    assert rest[2] == Trap(pv.CAUSE_ECALL_U, s("ecall_u2"), 0, from_u)
    assert len(rest) == 3
    a0, mstatus_after, instret_in_u, count = run.results(4)
    assert a0 == 0x1111, "illegal CSR reads in U-mode must not write rd"
    assert mstatus_after & MASK == from_u, "the handler runs in M-mode and reads what the trap saved"
    assert instret_in_u > 0
    assert count == len(traps)


# -- mstatus across trap and mret ------------------------------------------------------------


def test_mstatus_across_trap_and_mret(build_asm, engine):
    run = run_penv(build_asm("mstatus.S"), engine)
    assert run.exit_code == 0
    mie, mpie = pv.MSTATUS_MIE, pv.MSTATUS_MPIE
    s = run.sym
    assert run.traps() == [
        Trap(pv.CAUSE_ECALL_M, s("ecall_1"), 0, mpie | MPP_M),  # MPIE <- MIE (1), MIE <- 0
        Trap(pv.CAUSE_ECALL_M, s("ecall_2"), 0, MPP_M),  # MPIE <- MIE (0)
        Trap(pv.CAUSE_ECALL_U, s("ecall_4"), 0, MPP_U),  # from U with MIE = 0
    ]
    assert [r & MASK for r in run.results(6)] == [
        mie,  # before the first ecall
        mie | mpie | MPP_U,  # after mret: MIE <- MPIE (1), MPIE <- 1, MPP <- U
        mpie | MPP_U,  # MIE cleared by the program
        mpie | MPP_U,  # after mret: MIE <- MPIE (0)
        mpie | MPP_U,  # after an mret with MPP = M, MPIE = 0, MIE = 1 (no trap)
        mpie | MPP_U,  # back in M-mode after the trap from U
    ]


# -- access faults -----------------------------------------------------------------------------

MEMFAULTS = [  # label, cause, mtval
    ("load_fault", pv.CAUSE_LOAD_ACCESS, 0x2000_0000),
    ("store_fault", pv.CAUSE_STORE_ACCESS, 0x2000_0008),
    ("load_byte_fault", pv.CAUSE_LOAD_ACCESS, 0x1FFF_FFFF),
    ("load_l1_end", pv.CAUSE_LOAD_ACCESS, 0x1002_0000),
    ("store_half_fault", pv.CAUSE_STORE_ACCESS, 0x1002_0006),
    ("fld_fault", pv.CAUSE_LOAD_ACCESS, 0x1010),
    ("fsd_fault", pv.CAUSE_STORE_ACCESS, 0x1018),
    ("amo_fault", pv.CAUSE_STORE_ACCESS, 0x2000_0000),
    ("lr_fault", pv.CAUSE_LOAD_ACCESS, 0x2000_0000),
]


ENGINE_MODES = [("fast", True), ("fast", False), ("detailed", True)]
ENGINE_MODE_IDS = ["fast", "fast-unchecked", "detailed"]


@pytest.mark.parametrize("engine, check_alignment", ENGINE_MODES, ids=ENGINE_MODE_IDS)
def test_unmapped_accesses_raise_access_faults(build_asm, engine, check_alignment):
    """mepc must be exact in all modes: without the alignment hook Unicorn reports the pc of
    the block start in memory callbacks, and the fast hart finds the instruction itself."""
    run = run_penv(build_asm("memfault.S"), engine, check_alignment)
    assert run.exit_code == 0
    expected = [Trap(cause, run.sym(label), tval, MPP_M) for label, cause, tval in MEMFAULTS]
    for target in (0x2000_0100, 0x1002_1000):
        expected.append(Trap(pv.CAUSE_FETCH_ACCESS, target, target, MPP_M))
    assert run.traps() == expected
    a0, a1, count = run.results(3)
    assert a0 == 0x5555, "a faulting load must not write rd"
    assert a1 == 0x5559
    assert count == len(expected)


# -- misaligned accesses and jumps -----------------------------------------------------------

MISALIGNED = [  # label, cause, base symbol, offset of the address
    ("mis_lw", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 1),
    ("mis_lh", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 3),
    ("mis_lhu", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 5),
    ("mis_lw_2", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 6),
    ("mis_sw", pv.CAUSE_STORE_MISALIGNED, "l2buf", 2),
    ("mis_sh", pv.CAUSE_STORE_MISALIGNED, "l2buf", 9),
    ("mis_flw", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 2),
    ("mis_fld", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 4),
    ("mis_fsw", pv.CAUSE_STORE_MISALIGNED, "l2buf", 1),
    ("mis_fsd", pv.CAUSE_STORE_MISALIGNED, "l2buf", 12),
    ("mis_l1_lw", pv.CAUSE_LOAD_MISALIGNED, "l1buf", 2),
    ("mis_l1_sw", pv.CAUSE_STORE_MISALIGNED, "l1buf", 3),
    ("mis_l1_sh", pv.CAUSE_STORE_MISALIGNED, "l1buf", 7),
]
MISALIGNED_AMO = [
    ("mis_amoadd", pv.CAUSE_STORE_MISALIGNED, "l2buf", 2),
    ("mis_amoswap", pv.CAUSE_STORE_MISALIGNED, "l2buf", 2),
    ("mis_lr", pv.CAUSE_LOAD_MISALIGNED, "l2buf", 2),
]
# The buffers as the program defines them, read back with aligned loads after the traps.
BUFFERS_UNCHANGED = [0x07060504, 0x0B0A0908, 0x0F0E0D0C, 0x03020100, 0x13121110, 0x17161514, 0x0B0A0908]


def _jump_traps(run: PenvRun) -> list[Trap]:
    s = run.sym
    return [
        Trap(pv.CAUSE_FETCH_MISALIGNED, s("mis_jalr"), s("landing") + 2, MPP_M),
        Trap(pv.CAUSE_FETCH_MISALIGNED, s("mis_jal"), s("mis_jal") + 6, MPP_M),
        Trap(pv.CAUSE_FETCH_MISALIGNED, s("mis_branch"), s("mis_branch") + 6, MPP_M),
    ]


def test_misaligned_accesses_raise_exceptions_without_side_effects(build_asm, engine):
    run = run_penv(build_asm("misaligned.S"), engine)
    assert run.exit_code == 0
    expected = [Trap(cause, run.sym(label), run.sym(base) + off, MPP_M) for label, cause, base, off in MISALIGNED + MISALIGNED_AMO]
    expected += _jump_traps(run)
    assert run.traps() == expected
    results = run.results(9)
    assert results[0] == 0x1111, "a misaligned load must not write rd"
    assert results[1:8] == BUFFERS_UNCHANGED, "a misaligned store must not change memory"
    assert results[8] == len(expected)


def test_unchecked_alignment_lets_plain_accesses_through(build_asm):
    """ClusterConfig(check_alignment=False) / --no-check-alignment: misaligned loads and stores
    just work (QEMU's behaviour); AMOs and jumps are still checked (at no cost)."""
    run = run_penv(build_asm("misaligned.S"), "fast", check_alignment=False)
    assert run.exit_code == 0
    expected = [Trap(cause, run.sym(label), run.sym(base) + off, MPP_M) for label, cause, base, off in MISALIGNED_AMO]
    assert run.traps() == expected + _jump_traps(run)


# -- exit and instruction counts --------------------------------------------------------------


@pytest.mark.parametrize("engine, check_alignment", ENGINE_MODES, ids=ENGINE_MODE_IDS)
@pytest.mark.parametrize("defines", [(), ("VIA_TOHOST",)], ids=["sim_exit", "tohost"])
def test_exit_retires_exactly_the_instructions_before_it(build_asm, defines, engine, check_alignment):
    run = run_penv(build_asm("exit.S", defines), engine, check_alignment)
    assert run.exit_code == 5
    assert run.output == "ok\n"
    assert run.instructions[0] == (run.sym("exit_store") - run.sym("_start")) // 4 + 1


def test_penv_failure_reports_testnum(build_asm, engine):
    assert run_penv(build_asm("fail.S"), engine).exit_code == 7


@pytest.mark.parametrize("source", ["illegal.S", "ecall.S", "mstatus.S", "memfault.S", "misaligned.S"])
def test_engines_agree_on_traps_and_instruction_counts(build_asm, source):
    """Same trap log, results and per-hart instruction counts on both engines (and on the fast
    engine without the alignment hook, where the program does not depend on it)."""
    elf = build_asm(source)
    runs = [run_penv(elf, "fast"), run_penv(elf, "detailed")]
    if source != "misaligned.S":
        runs.append(run_penv(elf, "fast", check_alignment=False))
    first = runs[0]
    for other in runs[1:]:
        assert other.traps() == first.traps()
        assert other.results(16) == first.results(16)
        assert other.instructions == first.instructions
        assert other.exit_code == first.exit_code == 0


# -- through the command line --------------------------------------------------------------


@pytest.mark.parametrize(
    "source, cores, engine",
    [
        ("illegal.S", 1, "fast"),
        ("ecall.S", 1, "fast"),
        ("mstatus.S", 1, "fast"),
        ("memfault.S", 1, "fast"),
        ("misaligned.S", 1, "fast"),
        ("ecall.S", 8, "fast"),
        ("misaligned.S", 8, "detailed"),
    ],
)
def test_penv_programs_pass_from_the_command_line(build_asm, source, cores, engine):
    """The p-env programs run unchanged as `iss run`: exit status 0 (tohost code 0)."""
    elf = build_asm(source)
    proc = subprocess.run(
        [sys.executable, "-m", "iss", "run", "--engine", engine, "--cores", str(cores), "--max-cycles", "1000000", str(elf)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
