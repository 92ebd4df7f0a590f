"""The CSRs of a detailed hart (Machine and User mode, no Supervisor mode).

Served here: fflags/frm/fcsr, mstatus, mstatush, misa, mtvec, mcounteren, mscratch, mepc,
mcause, mtval, the read-only machine information registers, and the hardwired-zero
performance counters and event selectors (mhpmcounter3..31(h), hpmcounter3..31(h),
mhpmevent3..31) -- the same set of CSR numbers QEMU accepts in the fast engine. The simulator-wide CSRs (mhartid, mcycle/minstret
and their user aliases, mie/mip, pmp*) are SimCsrs (iss/sim_csrs.py), as in the fast engine.
The barrier and ssr CSRs are executors of their own (exec_system.py). Any other number is an
unimplemented CSR: illegal instruction. Privilege (bits 9:8 of the number) and read-only
(bits 11:10 = 3) checks are done by the CSR executor before read()/write() are called.
"""

from .. import privileged as pv
from ..sim_csrs import SERVED_CSRS, IllegalCsr

FFLAGS, FRM, FCSR = 0x001, 0x002, 0x003
MSTATUS, MISA, MTVEC, MSCRATCH, MEPC, MCAUSE, MTVAL = 0x300, 0x301, 0x305, 0x340, 0x341, 0x342, 0x343
MVENDORID, MARCHID, MIMPID = 0xF11, 0xF12, 0xF13
MCOUNTEREN, MSTATUSH = 0x306, 0x310
HPM_ZERO = frozenset({*range(0xB03, 0xB20), *range(0xB83, 0xBA0), *range(0xC03, 0xC20), *range(0xC83, 0xCA0), *range(0x323, 0x340)})

MSTATUS_FS = 3 << 13
MSTATUS_MPRV = 1 << 17
MSTATUS_TW = 1 << 21
MSTATUS_SD = 1 << 31
MSTATUS_WRITABLE = pv.MSTATUS_MIE | pv.MSTATUS_MPIE | pv.MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_TW

# RV32 (MXL = 1) with I, M, A, F, D, U and X (non-standard extensions: Xssr, Xfrep, Xdma).
MISA_VALUE = (1 << 30) | sum(1 << (ord(c) - ord("A")) for c in "IMAFDUX")

_FP_CSRS = (FFLAGS, FRM, FCSR)
_READ_ZERO = frozenset({MVENDORID, MARCHID, MIMPID, MSTATUSH, *HPM_ZERO})
_LOCAL = frozenset({*_FP_CSRS, MSTATUS, MISA, MTVEC, MCOUNTEREN, MSCRATCH, MEPC, MCAUSE, MTVAL, *_READ_ZERO})


def implemented(csr: int) -> bool:
    return csr in _LOCAL or csr in SERVED_CSRS


def read(h, csr: int, instret: int, cycles: int) -> int:
    """Value of `csr`; IllegalCsr if it does not exist or is not accessible now (FPU off)."""
    if csr in _FP_CSRS:
        if not h.mstatus & MSTATUS_FS:
            raise IllegalCsr(csr)
        if csr == FFLAGS:
            return h.fflags
        if csr == FRM:
            return h.frm
        return h.frm << 5 | h.fflags
    if csr == MSTATUS:
        ms = h.mstatus
        return ms | MSTATUS_SD if ms & MSTATUS_FS == MSTATUS_FS else ms
    if csr == MISA:
        return MISA_VALUE
    if csr == MTVEC:
        return h.mtvec
    if csr == MSCRATCH:
        return h.mscratch
    if csr == MEPC:
        return h.mepc
    if csr == MCAUSE:
        return h.mcause
    if csr == MTVAL:
        return h.mtval
    if csr == MCOUNTEREN:
        return h.mcounteren
    if csr in _READ_ZERO:
        return 0
    return h.sim_csrs.read(csr, instret, cycles)


def write(h, csr: int, value: int, instret: int, cycles: int) -> None:
    if csr in _FP_CSRS:
        if not h.mstatus & MSTATUS_FS:
            raise IllegalCsr(csr)
        if csr == FFLAGS:
            h.fflags = value & 0x1F
        elif csr == FRM:
            h.frm = value & 7
        else:
            h.fflags, h.frm = value & 0x1F, (value >> 5) & 7
        h.mstatus |= MSTATUS_FS
    elif csr == MSTATUS:
        new = value & MSTATUS_WRITABLE
        if (new & pv.MSTATUS_MPP) >> pv.MSTATUS_MPP_SHIFT not in (pv.PRIV_U, pv.PRIV_M):
            new = (new & ~pv.MSTATUS_MPP) | (h.mstatus & pv.MSTATUS_MPP)  # WARL: keep a legal mode
        h.mstatus = new
    elif csr == MISA:
        pass  # WARL, fixed
    elif csr == MTVEC:
        h.mtvec = value & ~2  # modes 0 (direct) and 1 (vectored)
    elif csr == MSCRATCH:
        h.mscratch = value
    elif csr == MEPC:
        h.mepc = value & ~3  # no compressed instructions: IALIGN = 32
    elif csr == MCAUSE:
        h.mcause = value
    elif csr == MTVAL:
        h.mtval = value
    elif csr == MCOUNTEREN:
        h.mcounteren = value
    elif csr in _READ_ZERO:
        pass  # read-only ones never get here (the executor checks csr[11:10])
    else:
        h.sim_csrs.write(csr, value, instret, cycles)
