"""The numbers of PLATFORM.md, as the simulator and the firmware header both hold them."""

import re
from pathlib import Path

from iss import memmap as mm
from iss.config import ClusterConfig

HEADER = Path(__file__).resolve().parent.parent / "firmware" / "runtime" / "snitch_cluster.h"


def header_defines() -> dict[str, int]:
    values = {}
    for name, expr in re.findall(r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*(?:/\*.*)?$", HEADER.read_text(), re.M):
        expr = re.sub(r"(0x[0-9a-fA-F]+|\d+)u\b", r"\1", expr)
        try:
            values[name] = eval(expr, {}, dict(values))  # header expressions use earlier names only
        except (NameError, SyntaxError):
            pass
    return values


def test_memory_map_matches_platform_md():
    assert mm.L1_BASE == 0x1000_0000
    assert mm.PERIPH_BASE == 0x1002_1000
    assert mm.PERIPH_BASE + mm.SIM_PUTCHAR == 0x1002_1F00
    assert mm.PERIPH_BASE + mm.SIM_EXIT == 0x1002_1F08
    assert mm.ITA_BASE == 0x1002_2000 and mm.DMA_BASE == 0x1002_3000
    assert mm.ZERO_MEM_BASE == 0x1003_0000 and mm.ZERO_MEM_SIZE == 0x1_0000
    assert mm.L2_BASE == 0x8000_0000
    assert (mm.CSR_SSR, mm.CSR_BARRIER, mm.CSR_MHARTID) == (0x7C0, 0x7C2, 0xF14)
    assert (mm.CSR_MCYCLE, mm.CSR_MCYCLEH, mm.CSR_MINSTRET, mm.CSR_MINSTRETH) == (0xB00, 0xB80, 0xB02, 0xB82)


def test_defaults_match_platform_md():
    cfg = ClusterConfig()
    assert (cfg.cores, cfg.num_harts, cfg.l1_kib, cfg.l2_kib, cfg.freq_mhz) == (8, 9, 128, 8192, 500.0)


def test_firmware_header_agrees_with_simulator():
    d = header_defines()
    assert d["SNRT_L1_BASE"] == mm.L1_BASE
    assert d["SNRT_PERIPH_BASE"] == mm.PERIPH_BASE
    assert d["SNRT_CL_CLINT_SET"] == mm.PERIPH_BASE + mm.CL_CLINT_SET
    assert d["SNRT_CL_CLINT_CLEAR"] == mm.PERIPH_BASE + mm.CL_CLINT_CLEAR
    assert d["SNRT_SCRATCH"] == mm.PERIPH_BASE + mm.SCRATCH
    for name in ("SIM_PUTCHAR", "SIM_EXIT", "SIM_NUM_CORES", "SIM_L1_SIZE", "SIM_STACK_SIZE"):
        assert d[name] == mm.PERIPH_BASE + getattr(mm, name), name
    assert d["SNRT_ITA_BASE"] == mm.ITA_BASE and d["SNRT_DMA_BASE"] == mm.DMA_BASE
    assert d["SNRT_ZERO_MEM"] == mm.ZERO_MEM_BASE and d["SNRT_L2_BASE"] == mm.L2_BASE
    assert d["SNRT_CSR_BARRIER"] == mm.CSR_BARRIER and d["SNRT_MIP_MCIP"] == mm.MIP_MCIP
