"""Lockstep: the fast and the detailed engine agree instruction by instruction on random
RV32IMAFD streams and on compiled programs; a real divergence is reported with both states."""

import pytest

from conftest import run_cli
from iss.config import ClusterConfig
from iss.elf import load_program
from iss.fuzz import random_program
from iss.lockstep import DivergenceError, run_lockstep

# 3 profiles x 17 seeds x 2000 instructions: more than 100,000 random instructions in all.
SEEDS = range(17)


@pytest.mark.parametrize("profile", ["int", "f32", "f64"])
def test_random_streams_agree(profile):
    steps = 0
    for seed in SEEDS:
        result = run_lockstep(random_program(seed, 2000, profile), ClusterConfig(cores=1))
        assert result.exit_code == 0
        steps += result.steps
    assert steps > 30_000


def test_divergence_detected_on_corrupted_register():
    program = random_program(2, 500, "f64")
    from dataclasses import replace

    from iss.cluster import Cluster
    from iss.lockstep import _compare

    fast = Cluster(program, replace(ClusterConfig(cores=1), engine="fast"))
    detailed = Cluster(program, replace(ClusterConfig(cores=1), engine="detailed"))
    hf, hd = fast.harts[0], detailed.harts[0]
    for _ in range(80):
        hf.step()
        hd.step()
    hd.x[7] ^= 0x10  # corrupt t2 in the detailed engine only
    with pytest.raises(DivergenceError) as info:
        _compare(fast, detailed, hf, hd, hf.pc, fast.original_word(hf.pc), 81)
    text = str(info.value)
    assert "x7=" in text and "fast:" in text and "detailed:" in text


def test_compiled_programs_agree(build):
    for source in ("runtime/barrier.c", "runtime/atomics.c", "runtime/fp.c"):
        elf = build(source, defines=["ITERS=50"] if "atomics" in source else [])
        result = run_lockstep(load_program(elf), ClusterConfig(cores=2))
        assert result.exit_code == 0, source


def test_cli_lockstep(build):
    proc = run_cli("run", build("runtime/minstret.c"), "--lockstep", "--cores", "2")
    assert proc.returncode == 0, proc.stderr
    assert "lockstep" in proc.stderr and "agree" in proc.stderr
