"""Error paths of `iss run` (PLATFORM.md sections 1 and 3), as a user meets them.

Each case runs `python3 -m iss run ...` in a subprocess and checks: a non-zero exit status
(the one of the error's class), exactly one line on stderr, `iss: error: ...`, naming what
the platform contract asks for (hart, pc, disassembled instruction, address; for a deadlock
which hart waits on what), and no Python traceback. The programs come from
tests/programs/traps/errors.S, one build per case (-DCASE=...). Program errors, deadlock and
--max-cycles are checked with both engines.
"""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iss.elf import load_program
from iss.errors import BadInputError, DeadlockError, LimitError, ProgramError
from iss.isa import disassemble

ROOT = Path(__file__).resolve().parent.parent
TRAPS = ROOT / "tests" / "programs" / "traps"
GCC = "riscv64-unknown-elf-gcc"

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} not installed")


def gcc(out: Path, source: Path, *flags: str) -> Path:
    proc = subprocess.run(
        [GCC, "-nostdlib", "-nostartfiles", "-Wl,--no-warn-rwx-segments", *flags, str(source), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def error_elf(tmp_path_factory):
    """error_elf(case) -> ELF of errors.S built with -DCASE=case."""
    out = tmp_path_factory.mktemp("errors")
    cache: dict[str, Path] = {}

    def _build(case: str) -> Path:
        if case not in cache:
            cache[case] = gcc(
                out / f"{case.lower()}.elf",
                TRAPS / "errors.S",
                "-march=rv32imafd_zicsr",
                "-mabi=ilp32d",
                f"-T{TRAPS / 'link.ld'}",
                f"-DCASE={case}",
            )
        return cache[case]

    return _build


@pytest.fixture(params=["fast", "detailed"])
def engine(request):
    return request.param


def iss_run(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "iss", "run", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout
    )


def error_line(proc: subprocess.CompletedProcess, status: int) -> str:
    """The single `iss: error:` line of a failed run (and the checks every error must pass)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == status, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("iss: error: "), proc.stderr
    return lines[0]


def program_error(elf: Path, engine: str, *extra_args) -> tuple[str, dict[str, int], int]:
    """Run `elf` (hart 0 faults at `fault`); returns the message, the symbols and the word at `fault`."""
    program = load_program(elf)
    line = error_line(iss_run("--engine", engine, "--cores", 1, *extra_args, elf), ProgramError.exit_status)
    fault = program.symbols["fault"]
    word = next(
        int.from_bytes(seg.data[fault - seg.address : fault - seg.address + 4], "little")
        for seg in program.segments
        if seg.address <= fault < seg.address + len(seg.data)
    )
    return line, program.symbols, word


def assert_names_the_instruction(line: str, symbols: dict[str, int], word: int) -> None:
    fault = symbols["fault"]
    assert "hart 0" in line
    assert f"pc 0x{fault:08x}" in line
    assert disassemble(word, fault) in line
    assert f"0x{word:08x}" in line
    assert "last instructions" in line


# -- no trap handler (mtvec = 0) --------------------------------------------------------------


def test_illegal_instruction_without_handler(error_elf, engine):
    line, symbols, word = program_error(error_elf("ILLEGAL"), engine)
    assert_names_the_instruction(line, symbols, word)
    assert "(fault)" in line, "the symbol of the pc"
    assert "illegal instruction" in line and "mtvec = 0" in line


@pytest.mark.parametrize(
    "case, what, address",
    [
        ("LOAD_UNMAPPED", "load from unmapped address", 0x2000_0024),
        ("STORE_UNMAPPED", "store to unmapped address", 0x2000_0028),
    ],
)
def test_unmapped_access_without_handler(error_elf, engine, case, what, address):
    line, symbols, word = program_error(error_elf(case), engine)
    assert_names_the_instruction(line, symbols, word)
    assert f"{what} 0x{address:08x}" in line


@pytest.mark.parametrize(
    "case, what, offset",
    [("LOAD_MISALIGNED", "misaligned load from address", 2), ("STORE_MISALIGNED", "misaligned store to address", 5)],
)
def test_misaligned_access_without_handler(error_elf, engine, case, what, offset):
    line, symbols, word = program_error(error_elf(case), engine)
    assert_names_the_instruction(line, symbols, word)
    assert f"{what} 0x{symbols['data'] + offset:08x}" in line


@pytest.mark.parametrize("case", ["LOAD_MISALIGNED", "STORE_MISALIGNED"])
def test_misaligned_access_passes_with_no_check_alignment(error_elf, case):
    proc = iss_run("--cores", 1, "--no-check-alignment", error_elf(case))
    assert proc.returncode == 0, proc.stderr


def test_misaligned_jump_without_handler(error_elf, engine):
    line, symbols, word = program_error(error_elf("JUMP_MISALIGNED"), engine)
    assert_names_the_instruction(line, symbols, word)
    assert f"jump to misaligned address 0x{symbols['data'] + 2:08x}" in line


def test_fetch_from_unmapped_address_without_handler(error_elf, engine):
    line, symbols, word = program_error(error_elf("FETCH_UNMAPPED"), engine)
    assert "hart 0" in line and "pc 0x20000040" in line
    assert "instruction fetch from unmapped address 0x20000040" in line
    assert disassemble(word, symbols["fault"]) in line, "the jump that went there is among the last instructions"


@pytest.mark.parametrize("case, what", [("ECALL", "environment call from M-mode"), ("EBREAK", "breakpoint")])
def test_ecall_ebreak_without_handler(error_elf, engine, case, what):
    line, symbols, word = program_error(error_elf(case), engine)
    assert_names_the_instruction(line, symbols, word)
    assert what in line and "mtvec = 0" in line


def test_trap_handler_that_traps_at_once_is_an_error_not_a_hang(error_elf):
    """mtvec points at a word that is an illegal instruction: every trap re-enters the handler
    without retiring anything, so no cycle limit would ever stop it (fast engine)."""
    elf = error_elf("TRAP_LOOP")
    data = load_program(elf).symbols["data"]
    line = error_line(iss_run("--cores", 1, elf, timeout=60), ProgramError.exit_status)
    assert f"pc 0x{data:08x}" in line
    assert "illegal instruction at the first instruction of the trap handler" in line
    assert "traps forever" in line


# -- blocked or endless runs ------------------------------------------------------------------


def test_deadlock_names_each_hart_and_what_it_waits_on(error_elf, engine):
    elf = error_elf("DEADLOCK")
    symbols = load_program(elf).symbols
    line = error_line(iss_run("--engine", engine, "--cores", 1, elf), DeadlockError.exit_status)
    assert "deadlock" in line
    assert f"hart 0 waits at the barrier (pc 0x{symbols['barrier']:08x})" in line
    assert f"hart 1 sleeps in wfi with no interrupt to wake it (pc 0x{symbols['sleep']:08x})" in line


def test_max_cycles_stops_an_endless_loop(error_elf, engine):
    elf = error_elf("LOOP")
    fault = load_program(elf).symbols["fault"]
    line = error_line(iss_run("--engine", engine, "--cores", 1, "--max-cycles", 20000, elf), LimitError.exit_status)
    assert "--max-cycles 20000 reached at cycle 20000" in line, "the limit holds to the cycle on a 1-instruction loop"
    assert f"hart 0 at pc 0x{fault:08x}" in line
    assert "hart 1 at pc" in line and "asleep in wfi" in line


def test_timeout_stops_an_endless_loop(error_elf):
    elf = error_elf("LOOP")
    start = time.monotonic()
    line = error_line(iss_run("--cores", 1, "--timeout", 1, elf), LimitError.exit_status)
    assert time.monotonic() - start < 60
    assert "--timeout 1 s reached" in line
    assert "hart 0 at pc" in line


# -- files that are not a Snitch program ------------------------------------------------------

MINIMAL = """
    .text
    .globl _start
_start:
    li a0, 1
    addi a0, a0, 1
1:  j 1b
"""


@pytest.fixture(scope="session")
def foreign_elves(tmp_path_factory):
    out = tmp_path_factory.mktemp("foreign")
    src = out / "min.S"
    src.write_text(MINIMAL)
    return {
        "rv64": gcc(out / "rv64.elf", src, "-march=rv64imac", "-mabi=lp64", "-Ttext=0x80000000"),
        "rvc": gcc(out / "rvc.elf", src, "-march=rv32imac", "-mabi=ilp32", "-Ttext=0x80000000"),
        "text": _write(out / "notes.elf", b"this is not an ELF file\n"),
        "truncated": _write(out / "truncated.elf", b"\x7fELF\x01\x01\x01"),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ("text", "not an ELF file"),
        ("truncated", "not an ELF file"),
        ("rv64", "not a 32-bit"),
        ("rvc", "compressed instructions"),
    ],
)
def test_unusable_elf_files(foreign_elves, kind, fragment):
    path = foreign_elves[kind]
    line = error_line(iss_run(path), BadInputError.exit_status)
    assert str(path) in line
    assert fragment in line


def test_missing_file(tmp_path):
    path = tmp_path / "nothing.elf"
    line = error_line(iss_run(path), BadInputError.exit_status)
    assert f"{path}: no such file" in line


def test_directory_instead_of_file(tmp_path):
    line = error_line(iss_run(tmp_path), BadInputError.exit_status)
    assert str(tmp_path) in line and "not a file" in line
