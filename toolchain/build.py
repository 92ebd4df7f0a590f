"""Compile the firmware runtime plus a program into an ELF for the simulated cluster.

Compiler: Debian's riscv64-unknown-elf-gcc (GCC 12) with picolibc. Flags and layout follow
PLATFORM.md section 7: rv32imafd/ilp32d (no compressed instructions), freestanding, our
crt0 and linker script (code in L2, stacks at the top of L1, a `.l1` section).
"""

import os
import shutil
import subprocess
from pathlib import Path

from iss.errors import SimError

ARCH_FLAGS = ["-march=rv32imafd", "-mabi=ilp32d"]
C_FLAGS = ["-ffreestanding", "-fno-common", "-ffunction-sections", "-fdata-sections", "-Wall"]
COMPILER_NAMES = ("riscv64-unknown-elf-gcc", "riscv32-unknown-elf-gcc")
INSTALL_HINT = "install it with: apt-get install gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf (or run `make setup`)"


DEFAULT_L2 = "LENGTH = 8M"  # the L2 line of firmware/runtime/link.ld


class BuildError(SimError):
    exit_status = 2


def firmware_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "firmware"


def find_compiler() -> str:
    """Path of the RISC-V cross gcc: $RISCV_GCC, else the first on PATH."""
    env = os.environ.get("RISCV_GCC")
    if env:
        if shutil.which(env):
            return shutil.which(env)
        raise BuildError(f"RISCV_GCC={env} is not an executable")
    for name in COMPILER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    raise BuildError(f"no RISC-V cross compiler found ({' or '.join(COMPILER_NAMES)}); {INSTALL_HINT}")


def runtime_sources() -> list[Path]:
    rt = firmware_dir() / "runtime"
    return [rt / "crt0.S", rt / "snrt.c", rt / "ita.c"]  # unused code is dropped (--gc-sections)


def build_program(
    sources: list[str | Path],
    output: str | Path,
    opt: str = "-O2",
    include_dirs: list[str | Path] = (),
    defines: list[str] = (),
    extra_flags: list[str] = (),
    l2_bytes: int | None = None,
) -> Path:
    """Compile `sources` with the runtime into `output`; returns the ELF path. `l2_bytes`
    links for an L2 of that size instead of the default 8 MiB (run with the same l2_kib)."""
    gcc = find_compiler()
    rt = firmware_dir() / "runtime"
    sources = [Path(s) for s in sources]
    for s in sources:
        if not s.is_file():
            raise BuildError(f"{s}: no such source file")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    script = rt / "link.ld"
    if l2_bytes is not None:
        text = script.read_text()
        if DEFAULT_L2 not in text:
            raise BuildError(f"{script}: no '{DEFAULT_L2}' to resize")
        script = output.with_suffix(".ld")
        script.write_text(text.replace(DEFAULT_L2, f"LENGTH = {l2_bytes // 1024}K"))
    cmd = [
        gcc,
        "--specs=picolibc.specs",
        *ARCH_FLAGS,
        opt,
        "-g",
        *C_FLAGS,
        "-nostartfiles",
        f"-T{script}",
        "-Wl,--gc-sections",
        "-Wl,--no-warn-rwx-segments",
        f"-I{rt}",
        *[f"-I{d}" for d in include_dirs],
        *[f"-D{d}" for d in defines],
        *extra_flags,
        *map(str, runtime_sources()),
        *map(str, sources),
        "-o",
        str(output),
        "-lc",
        "-lgcc",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip().splitlines()[-1:] or [""])
        raise BuildError(f"compilation failed: {first if isinstance(first, str) else first[0]}\n{proc.stderr.strip()}")
    return output
