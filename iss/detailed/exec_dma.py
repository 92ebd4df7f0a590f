"""Xdma (snitch.md section 3) in the detailed engine: executed by the cluster's DmaEngine
(iss/dma.py) at the hart's local time (instructions retired + stall cycles). On a compute core
every Xdma instruction is an illegal instruction, as in the fast engine."""

from ..isa import ENCODINGS
from .common import executes, illegal, wreg

XDMA = tuple(e.name for e in ENCODINGS if e.ext == "Xdma")


@executes(*XDMA)
def xdma(h, d, pc):
    cl = h.cluster
    if h.hart_id != cl.config.cores:
        fault = illegal(d, f"illegal instruction ({d.name}: Xdma exists on the DMA core only)")

        def not_here(n):
            raise fault

        return not_here
    x, st, dma, name = h.x, h._st, cl.dma, d.name
    a, b, r, imm, nxt = d.rs1, d.rs2, wreg(d.rd), d.imm, pc + 4
    writes_rd = d.enc.rd == "x"

    def run(n):
        h._retired = n  # exact counters for error messages
        value = dma.xdma(h, name, pc, n + st[0], x[a], x[b], imm)
        if writes_rd:
            x[r] = value & 0xFFFF_FFFF
        return nxt

    return run
