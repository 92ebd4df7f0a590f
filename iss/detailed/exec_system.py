"""Zicsr, Zifencei and the privileged instructions (ecall, ebreak, mret, wfi)."""

from .. import memmap as mm
from .. import privileged as pv
from ..hart import HartState
from ..sim_csrs import IllegalCsr
from . import csrfile
from .common import Fault, Stop, executes, illegal, wreg

NOT_YET = "not implemented yet in the detailed engine"


@executes("csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci")
def csr_instruction(h, d, pc):
    access = pv.csr_access(d.word)
    csr = access.csr
    if csr == mm.CSR_BARRIER:
        return _barrier(h, d, pc)
    if csr == mm.CSR_SSR:
        from .exec_snitch import ssr_csr

        return ssr_csr(h, d, pc, access)
    x, st, r, src, nxt = h.x, h._st, wreg(access.rd), access.src, pc + 4
    reads, writes, immediate, new_value = access.reads, access.writes, access.immediate, access.new_value
    fault = illegal(d, f"illegal instruction (CSR 0x{csr:03x})")
    read, write, permitted = csrfile.read, csrfile.write, pv.csr_permitted

    def run(n):
        if h.priv != pv.PRIV_M or (writes and csr >> 10 == 3):
            if not permitted(csr, h.priv, writes, h.mcounteren):
                mode = "M" if h.priv == pv.PRIV_M else "U"
                raise illegal(d, f"illegal instruction (CSR 0x{csr:03x} from {mode}-mode)")
        cycles = n + st[0]
        try:
            old = read(h, csr, n, cycles) if reads or writes else 0
            if writes:
                write(h, csr, new_value(old, src if immediate else x[src]), n, cycles)
        except IllegalCsr:
            raise fault from None
        x[r] = old
        return nxt

    return run


def _barrier(h, d, pc):
    """Any access to CSR 0x7C2: rd = 0, the hart waits until every hart has arrived."""
    x, r, nxt = h.x, wreg(d.rd), pc + 4
    fault = illegal(d, f"illegal instruction (CSR 0x{mm.CSR_BARRIER:03x} from U-mode)")

    def run(n):
        if h.priv < pv.PRIV_M:
            raise fault
        x[r] = 0
        h._retired = n + 1  # the barrier access retires before the hart waits
        h.pc = nxt
        h.wait_pc = pc
        h.state = HartState.BARRIER
        h.cluster.barrier_arrive(h)
        raise Stop(nxt)

    return run


@executes("ecall")
def ecall(h, d, pc):
    def run(n):
        raise Fault(pv.CAUSE_ECALL_U + h.priv, 0)

    return run


@executes("ebreak")
def ebreak(h, d, pc):
    def run(n):
        raise Fault(pv.CAUSE_BREAKPOINT, pc)

    return run


@executes("mret")
def mret(h, d, pc):
    fault = illegal(d, "illegal instruction (mret outside M-mode)")

    def run(n):
        if h.priv != pv.PRIV_M:
            raise fault
        ms = h.mstatus
        mpp = (ms & pv.MSTATUS_MPP) >> pv.MSTATUS_MPP_SHIFT
        mie = pv.MSTATUS_MIE if ms & pv.MSTATUS_MPIE else 0
        ms = (ms & ~(pv.MSTATUS_MIE | pv.MSTATUS_MPP)) | mie | pv.MSTATUS_MPIE  # MPP <- U, least privileged
        if mpp != pv.PRIV_M:
            ms &= ~csrfile.MSTATUS_MPRV
        h.mstatus = ms
        h.priv = mpp
        return h.mepc

    return run


@executes("wfi")
def wfi(h, d, pc):
    """Sleep until an interrupt or cluster event (the cluster wakes the hart), as the fast engine."""
    fault = illegal(d, "illegal instruction (wfi in U-mode with mstatus.TW set)")
    nxt = pc + 4

    def run(n):
        if h.priv < pv.PRIV_M and h.mstatus & csrfile.MSTATUS_TW:
            raise fault
        h.wait_pc = pc
        if h.cluster.events.wfi(h, n + 1 + h._st[0]):  # else a latched DMA/ITA event: no sleep (events.py)
            h.state = HartState.WFI
        raise Stop(nxt)  # leave the loop either way, as the fast engine (interrupts are checked)

    return run


@executes("fence")
def fence(h, d, pc):
    nxt = pc + 4

    def run(n):
        return nxt  # one hart, in order, shared memory: nothing to order

    return run


@executes("fence.i")
def fence_i(h, d, pc):
    nxt = pc + 4

    def run(n):
        h.flush_code()  # code written since is decoded again
        return nxt

    return run


@executes("sret", "sfence.vma")
def no_supervisor(h, d, pc):
    fault = illegal(d, f"illegal instruction ({d.name}: no Supervisor mode)")

    def run(n):
        raise fault

    return run
