"""Executors of the Snitch FP extensions: Xfrep (frep.py), Xssr configuration (scfgri, scfgwi,
scfgr, scfgw) and the `ssr` CSR 0x7C0 (ssr.py). Both exist on the compute cores only; on the DMA
core they are illegal instructions. FP instructions naming ft0..ft2 become stream-aware in
translate.build (ssr.ssr_wrap).

A hand-off instance (iss/fast/handoff.py: the detailed hart that runs SSR/FREP code for a fast
hart) leaves its run loop as soon as streams are disabled and no FREP loop runs: `h.leave` is set
by the instruction that makes it so (the ssr CSR write, the last issue of an FREP, a trap).
"""

from .. import privileged as pv
from ..errors import ProgramError
from .common import Stop, executes, illegal, wreg
from .frep import frep_builder
from .ssr import SsrError

executes("frep.o", "frep.i")(frep_builder)


def _raiser(fault):
    def run(n):
        raise fault

    return run


@executes("scfgri", "scfgwi", "scfgr", "scfgw")
def scfg(h, d, pc):
    unit = h.ssr
    if unit is None:
        return _raiser(illegal(d, f"illegal instruction ({d.name}: Xssr exists on the compute cores only, not on the DMA core)"))
    x, name, imm, rs1, rs2, rd, nxt = h.x, d.name, d.imm, d.rs1, d.rs2, wreg(d.rd), pc + 4
    execute = unit.execute

    def run(n):
        try:
            value = execute(name, imm, x[rs1], x[rs2])
        except SsrError as exc:
            h._retired = n  # exact counts for the message
            raise ProgramError(h.describe(pc, str(exc))) from None
        if value is not None:
            x[rd] = value
        return nxt

    return run


def ssr_csr(h, d, pc, access):
    """Any CSR instruction on 0x7C0: bit 0 enables the streams (reads return the enable bit)."""
    unit = h.ssr
    if unit is None:
        return _raiser(illegal(d, "illegal instruction (CSR ssr 0x7c0: Xssr exists on the compute cores only, not on the DMA core)"))
    x, r, src, nxt, csr = h.x, wreg(access.rd), access.src, pc + 4, access.csr
    writes, immediate, new_value = access.writes, access.immediate, access.new_value
    fault = illegal(d, f"illegal instruction (CSR 0x{csr:03x} from U-mode)")

    def run(n):
        if h.priv != pv.PRIV_M and not pv.csr_permitted(csr, h.priv, writes, h.mcounteren):
            raise fault
        old = 1 if unit.enabled else 0
        if writes:
            unit.enabled = bool(new_value(old, src if immediate else x[src]) & 1)
        x[r] = old
        if h.handoff_mode and not unit.enabled and h.frep is None:
            h.leave = True
            raise Stop(nxt)
        return nxt

    return run
