"""Shared fixtures: build firmware programs once per session, run them via the CLI or the API."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from toolchain import build_program

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


def run_cli(*args, timeout=300) -> subprocess.CompletedProcess:
    """Run `python -m iss ...` as a user would; returns the completed process (text)."""
    return subprocess.run(
        [sys.executable, "-m", "iss", *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
