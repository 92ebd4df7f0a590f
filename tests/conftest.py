"""Shared fixtures: build firmware programs once per session, run them via the CLI or the API."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from toolchain import build_program, find_compiler

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = ROOT / "tests" / "programs"


@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """build(source, defines=()) -> ELF path, compiled with the project toolchain and runtime."""
    out_dir = tmp_path_factory.mktemp("elf")
    cache: dict[tuple, Path] = {}

    def _build(source, defines=(), opt="-O2"):
        source = Path(source)
        if not source.is_absolute():
            source = PROGRAMS / source if (PROGRAMS / source).exists() else ROOT / source
        key = (str(source), tuple(defines), opt)
        if key not in cache:
            tag = hashlib.sha1(repr(key).encode()).hexdigest()[:10]
            cache[key] = build_program([source], out_dir / f"{source.stem}-{tag}.elf", opt=opt, defines=list(defines))
        return cache[key]

    return _build


_ASM_PROLOGUE = """
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
"""
_ASM_FPU_ON = """
    li t0, 0x2000
    csrs mstatus, t0
"""
_ASM_EPILOGUE = """
exit:
    li t0, 0x10021f08
    li t1, 1
    sw t1, 0(t0)
park:
    wfi
    j park
"""


@pytest.fixture(scope="session")
def asm_builder(tmp_path_factory):
    """asm_builder(body, data="", fpu=False) -> ELF running the assembly `body` on hart 0 in
    M-mode (FPU on when `fpu`), then exiting with 0 through SIM_EXIT; other harts park."""
    out = tmp_path_factory.mktemp("asm")
    count = [0]

    def _asm(body: str, data: str = "", fpu: bool = False) -> Path:
        count[0] += 1
        src, elf = out / f"t{count[0]}.S", out / f"t{count[0]}.elf"
        prologue = _ASM_PROLOGUE + (_ASM_FPU_ON if fpu else "")
        src.write_text(prologue + body + _ASM_EPILOGUE + "\n    .data\n    .balign 8\n" + data + "\n")
        cmd = [find_compiler(), "-march=rv32imafd", "-mabi=ilp32d", "-nostdlib", "-Wl,-N,-Ttext=0x80000000", "-o", elf, src]
        subprocess.run(cmd, check=True, capture_output=True, text=True)
        return elf

    return _asm


def run_cli(*args, timeout=300) -> subprocess.CompletedProcess:
    """Run `python -m iss ...` as a user would; returns the completed process (text)."""
    return subprocess.run(
        [sys.executable, "-m", "iss", *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
