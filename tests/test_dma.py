"""The cluster DMA (iss/dma.py): Xdma on the DMA core with the snRuntime sequences
(firmware/runtime/dma.h) and the register front-end from a compute core, 1-D and 2-D between L1
and L2, several transfers in flight, transfer ids, the timing model checked cycle by cycle with
mcycle, wfi woken by the completion event, strict mode catching a missing wait, on both engines
with equal results."""

import io
import re

import numpy as np
import pytest

from conftest import run_cli
from iss import memmap as mm
from iss.cluster import Cluster
from iss.config import ClusterConfig
from iss.errors import ProgramError
from test_platform import header_defines

SETUP, L2_LATENCY = 20, 10
ENGINES = ("fast", "detailed")


def run(elf, engine="fast", **config):
    cluster = Cluster(elf, ClusterConfig(engine=engine, strict=True, **config), sink=io.StringIO())
    return cluster, cluster.run()


def u8(cluster, name, shape=None):
    a = np.frombuffer(cluster.read_symbol(name), dtype=np.uint8)
    return a.reshape(shape) if shape else a


def info(cluster):
    return np.frombuffer(cluster.read_symbol("info"), dtype=np.uint32).tolist()


def polled(duration: int) -> int:
    """mcycle delta of timed_copy in dma.c for a transfer of `duration` cycles: issued 3 cycles
    after the first read, completed_id polled every 2 cycles from 1 cycle after the issue, and
    the second read 2 cycles after the first poll that sees the transfer done."""
    polls = -(-(duration - 1) // 2)
    return 3 + 1 + 2 * polls + 2


def duration(nbytes: int, l2: bool = False) -> int:
    return SETUP + -(-nbytes // 64) + (L2_LATENCY if l2 else 0)


@pytest.fixture(scope="module")
def dma_runs(build):
    elf = build("dma/dma.c", defines=["CASE=0"])
    return {engine: run(elf, engine) for engine in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
def test_data_moves_1d_2d_both_front_ends(dma_runs, engine):
    cluster, report = dma_runs[engine]
    assert report.exit_code == 0
    src = u8(cluster, "l2_src")
    assert np.array_equal(src, (np.arange(1024) * 7 + 3).astype(np.uint8))
    # L2 -> L1 -> L1 -> L2, three transfers in flight at once, waiting for the last only
    assert np.array_equal(u8(cluster, "out_l2"), src)
    # 2-D gather (16 rows of 64 B, stride 256) into L1, then 2-D scatter back to L2
    mat = u8(cluster, "l2_mat", (16, 256))
    scatter = u8(cluster, "out_scatter", (16, 256))
    assert np.array_equal(scatter[:, 128:192], mat[:, 64:128])
    assert not scatter[:, :128].any() and not scatter[:, 192:].any()
    assert np.array_equal(u8(cluster, "l1_tile", (16, 64)), mat[:, 64:128])
    # register front-end from hart 0: 1-D L2 -> L1 -> L2 and a 2-D gather
    assert np.array_equal(u8(cluster, "out_reg"), src)
    assert np.array_equal(u8(cluster, "out_reg2d", (16, 64)), mat[:, 192:256])


@pytest.mark.parametrize("engine", ENGINES)
def test_transfer_ids_follow_idma(dma_runs, engine):
    cluster, report = dma_runs[engine]
    i = info(cluster)
    assert i[0:4] == [2, 3, 4, 5]  # the first transfer gets id 2 (iDMA: next = 2, completed = 1)
    assert i[4] == 7  # dmstati next_id after the two 2-D transfers
    assert i[15] == 1  # busy while the chain is in flight
    assert i[14] == i[13] - 1  # right after a start, the transfer is not complete yet
    # hart 0 (register front-end) shares the one id sequence: it starts after the DMA core's 14
    assert i[12] == 15
    # DMA core: the chain (3), 2-D (2), timed (7), status (1): ids 2..14; hart 0: 3
    assert report.dma.transfers == 16
    assert report.dma.bytes == 3 * 1024 + 2 * 1024 + (0 + 64 + 640 + 4096 + 8192 + 4096 + 8192) + 64 + 3 * 1024


@pytest.mark.parametrize("engine", ENGINES)
def test_timing_setup_plus_64_bytes_per_cycle_plus_l2_latency(dma_runs, engine):
    cluster, _ = dma_runs[engine]
    i = info(cluster)
    assert i[5:11] == [
        polled(duration(0)),
        polled(duration(64)),
        polled(duration(640)),
        polled(duration(4096)),
        polled(duration(8192, l2=True)),
        polled(duration(4096, l2=True)),
    ]
    assert i[8] == 90  # 4096 B in L1: 20 + 64 cycles, seen 6 cycles of polling code later


@pytest.mark.parametrize("engine", ENGINES)
def test_wfi_sleeps_until_the_completion_event(dma_runs, engine):
    cluster, report = dma_runs[engine]
    # issued 3 cycles after the first read; wfi sleeps until the completion; 3 more instructions
    assert info(cluster)[11] == 3 + duration(8192, l2=True) + 3
    assert report.harts[8].stall_cycles > duration(8192, l2=True)


def test_both_engines_equal_results(dma_runs):
    (fast, rf), (detailed, rd) = dma_runs["fast"], dma_runs["detailed"]
    for name in ("out_l2", "out_scatter", "out_reg", "out_reg2d", "l1_tile", "info"):
        assert fast.read_symbol(name) == detailed.read_symbol(name), name
    assert rf.dma == rd.dma
    # (instruction counts of the polling loops differ: only the detailed engine charges L2 accesses)


def test_busy_cycles_in_the_report(dma_runs, build, tmp_path):
    cluster, report = dma_runs["fast"]
    # busy cycles: the durations of the transfers (they never overlap)
    assert report.dma.busy_cycles >= sum(duration(n, l2) for n, l2 in ((4096, False), (8192, True)))
    text = report.to_text()
    assert re.search(rf"dma +{report.dma.transfers} transfers, {report.dma.bytes} bytes, {report.dma.busy_cycles} busy cycles", text)
    elf = build("dma/dma.c", defines=["CASE=0"])
    proc = run_cli("run", elf, "--report", "json", "--report-file", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    assert '"transfers": 16' in (tmp_path / "r.json").read_text()


# -- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_strict_mode_catches_a_missing_wait(build, engine):
    elf = build("dma/dma.c", defines=["CASE=1"])
    with pytest.raises(ProgramError) as exc:
        run(elf, engine)
    msg = str(exc.value)
    assert re.search(
        r"hart 8, pc 0x[0-9a-f]{8} .*lbu .*strict mode: load from 0x(1000[0-9a-f]{4}) \(1 B\) at cycle \d+ reads the "
        r"destination of DMA transfer txid 2 \(L2 0x8[0-9a-f]{7} -> L1 0x1000[0-9a-f]{4}, 1024 B, issued by hart 8 "
        r"at pc 0x[0-9a-f]{8} at cycle \d+ via dmcpyi\), which completes at cycle \d+: wait for it first",
        msg,
    ), msg
    assert "snrt_dma_wait(2)" in msg


@pytest.mark.parametrize("engine", ENGINES)
def test_strict_mode_catches_a_source_overwritten_in_flight(build, engine):
    elf = build("dma/dma.c", defines=["CASE=2"])
    with pytest.raises(ProgramError, match=r"hart 8, .*sb .*store to 0x8[0-9a-f]{7} \(1 B\) .* writes a source of DMA transfer txid 2"):
        run(elf, engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_strict_mode_register_front_end_from_a_compute_core(build, engine):
    elf = build("dma/dma.c", defines=["CASE=3"])
    with pytest.raises(ProgramError, match=r"hart 0, .*load from 0x1000[0-9a-f]{4} .* the destination of DMA transfer txid 15 .* via register front-end"):
        run(elf, engine)


def test_without_strict_mode_the_data_is_there_at_issue(build):
    """Outside strict mode the bytes land when the transfer is issued (deterministic)."""
    elf = build("dma/dma.c", defines=["CASE=1"])
    cluster = Cluster(elf, ClusterConfig(strict=False), sink=io.StringIO())
    assert cluster.run().exit_code == 0
    assert info(cluster)[0] == (100 * 7 + 3) & 0xFF


@pytest.mark.parametrize("engine", ENGINES)
def test_xdma_is_illegal_on_a_compute_core(build, engine):
    elf = build("dma/dma.c", defines=["CASE=4"])
    with pytest.raises(ProgramError, match=r"hart 0, .*dmsrc .*illegal instruction \(dmsrc: Xdma exists on the DMA core only\)"):
        run(elf, engine)


def test_cli_reports_a_strict_error_on_one_line(build):
    elf = build("dma/dma.c", defines=["CASE=1"])
    proc = run_cli("run", elf, "--strict", "--report", "none")
    assert proc.returncode == ProgramError.exit_status
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("iss: error: hart 8") and "txid 2" in lines[0]
    assert "Traceback" not in proc.stderr


def test_register_map_in_memmap_and_header():
    d = header_defines()
    for reg in ("SRC", "DST", "SIZE", "SRC_STRIDE", "DST_STRIDE", "REPS", "START", "COMPLETED_ID", "BUSY", "NEXT_ID"):
        assert d[f"SNRT_DMA_{reg}"] == mm.DMA_BASE + getattr(mm, f"DMA_REG_{reg}"), reg
    names = ("TRIGGER", "ACQUIRE", "FINISHED", "STATUS", "RUNNING_JOB", "SOFT_CLEAR")
    for reg in names:
        assert d[f"ITA_REG_{reg}"] == mm.ITA_BASE + getattr(mm, f"ITA_{reg}"), reg
    assert (mm.ITA_TRIGGER, mm.ITA_ACQUIRE, mm.ITA_FINISHED, mm.ITA_STATUS, mm.ITA_SOFT_CLEAR) == (0, 4, 8, 0xC, 0x14)
    for i, reg in enumerate(mm.ITA_JOB_REG_NAMES):
        c_name = "ACT_REQUANT" if reg == "ACTIVATION_REQUANT" else reg
        assert d[f"ITA_REG_{c_name}"] == mm.ITA_BASE + 0x20 + 4 * i, reg
    assert len(mm.ITA_JOB_REG_NAMES) == 17


@pytest.mark.parametrize("engine", ENGINES)
def test_wfi_wakes_after_more_polled_transfers_than_events_latched(build, engine):
    """3000 completions latched and never consumed (polling), then a wfi loop for one more: it
    must wake (it deadlocked when the latch dropped its newest event)."""
    cluster, report = run(build("dma/many_events.c"), engine)
    assert report.exit_code == 0
    assert np.frombuffer(cluster.read_symbol("last_id"), dtype=np.uint32)[0] == 2 + 3000
    assert report.dma.transfers == 3001
