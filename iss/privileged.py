"""Machine-mode facts shared by both engines: trap causes, mstatus bits, CSR instruction fields."""

from dataclasses import dataclass

# mcause values (RISC-V privileged spec, table 3.6).
CAUSE_FETCH_MISALIGNED = 0
CAUSE_FETCH_ACCESS = 1
CAUSE_ILLEGAL_INSTRUCTION = 2
CAUSE_BREAKPOINT = 3
CAUSE_LOAD_MISALIGNED = 4
CAUSE_LOAD_ACCESS = 5
CAUSE_STORE_MISALIGNED = 6
CAUSE_STORE_ACCESS = 7
CAUSE_ECALL_U = 8
CAUSE_ECALL_M = 11
INTERRUPT = 1 << 31

CAUSE_NAMES = {
    0: "instruction address misaligned",
    1: "instruction access fault",
    2: "illegal instruction",
    3: "breakpoint",
    4: "load address misaligned",
    5: "load access fault",
    6: "store/AMO address misaligned",
    7: "store/AMO access fault",
    8: "environment call from U-mode",
    9: "environment call from S-mode",
    11: "environment call from M-mode",
}

MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP_SHIFT = 11
MSTATUS_MPP = 3 << MSTATUS_MPP_SHIFT
PRIV_U, PRIV_M = 0, 3

MSTATUS_TW = 1 << 21

WFI = 0x1050_0073
EBREAK = 0x0010_0073
ECALL = 0x0000_0073
MRET = 0x3020_0073
# Supervisor-mode instructions: Snitch has no S-mode, so these are illegal (QEMU would run them).
SRET = 0x1020_0073
SFENCE_VMA, SFENCE_VMA_MASK = 0x1200_0073, 0xFE00_7FFF

OPCODE_LOAD = 0x03
OPCODE_LOAD_FP = 0x07
OPCODE_STORE = 0x23
OPCODE_STORE_FP = 0x27
OPCODE_AMO = 0x2F
AMO_LR = 0b00010

OPCODE_SYSTEM = 0x73


@dataclass(frozen=True)
class CsrAccess:
    """The fields of a Zicsr instruction and what it reads and writes."""

    csr: int
    rd: int
    funct3: int  # 1 rw, 2 rs, 3 rc, 5 rwi, 6 rsi, 7 rci
    src: int  # rs1 index, or the 5-bit immediate for the *i forms

    @property
    def reads(self) -> bool:
        return not (self.funct3 & 3 == 1 and self.rd == 0)

    @property
    def writes(self) -> bool:
        return self.funct3 & 3 == 1 or self.src != 0

    @property
    def immediate(self) -> bool:
        return bool(self.funct3 & 4)

    def new_value(self, old: int, operand: int) -> int:
        op = self.funct3 & 3
        if op == 1:
            return operand & 0xFFFF_FFFF
        if op == 2:
            return (old | operand) & 0xFFFF_FFFF
        return old & ~operand & 0xFFFF_FFFF


def csr_access(word: int) -> CsrAccess | None:
    if word & 0x7F != OPCODE_SYSTEM:
        return None
    funct3 = (word >> 12) & 7
    if funct3 in (0, 4):
        return None
    return CsrAccess(csr=word >> 20, rd=(word >> 7) & 31, funct3=funct3, src=(word >> 15) & 31)


def csr_permitted(csr: int, priv: int, writes: bool, mcounteren: int = 0) -> bool:
    """May an instruction at privilege `priv` access `csr` (privileged spec 2.1)?

    csr[11:10] = 3 marks read-only CSRs, csr[9:8] the lowest privilege allowed to access it;
    from U-mode the counters cycle/time/instret/hpmcounterN(h) also need their mcounteren bit."""
    if writes and (csr >> 10) & 3 == 3:
        return False
    if priv < (csr >> 8) & 3:
        return False
    if priv < PRIV_M and (0xC00 <= csr <= 0xC1F or 0xC80 <= csr <= 0xC9F):
        return bool(mcounteren >> (csr & 0x1F) & 1)
    return True


@dataclass(frozen=True)
class MemAccess:
    """The memory access of a load, store or AMO word: base register, offset, size, direction."""

    rs1: int
    offset: int
    size: int
    loads: bool
    stores: bool


def mem_access(word: int) -> MemAccess | None:
    """Decode the data access of `word` (RV32IMAFD), or None if it makes none."""
    opcode, funct3, rs1 = word & 0x7F, (word >> 12) & 7, (word >> 15) & 31
    if opcode in (OPCODE_LOAD, OPCODE_LOAD_FP):
        return MemAccess(rs1, _sext12(word >> 20), 1 << (funct3 & 3), True, False)
    if opcode in (OPCODE_STORE, OPCODE_STORE_FP):
        return MemAccess(rs1, _sext12(((word >> 25) << 5) | ((word >> 7) & 31)), 1 << (funct3 & 3), False, True)
    if opcode == OPCODE_AMO:
        lr = word >> 27 == AMO_LR
        return MemAccess(rs1, 0, 1 << (funct3 & 3), True, not lr)  # SC and AMOs count as stores
    return None


def _sext12(value: int) -> int:
    value &= 0xFFF
    return value - 0x1000 if value & 0x800 else value


def trap_state(mstatus: int, priv: int) -> int:
    """mstatus after trap entry: MPIE <- MIE, MIE <- 0, MPP <- priv."""
    mie = (mstatus >> 3) & 1
    mstatus &= ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
    return mstatus | (mie << 7) | (priv << MSTATUS_MPP_SHIFT)


def trap_target(mtvec: int, cause: int) -> int:
    base = mtvec & ~3
    if cause & INTERRUPT and mtvec & 3 == 1:  # vectored mode: interrupts only
        return base + 4 * (cause & 0x7FFF_FFFF)
    return base


# misa of every Snitch hart: RV32 with I, M, A, F, D, U and X (non-standard extensions, set
# when Xssr/Xdma are present: reference/snitch.md section 4). No S, no C.
MISA_VALUE = (1 << 30) | sum(1 << (ord(c) - ord("A")) for c in "IMAFDUX")
MSTATUS_SIE_FIELDS = (1 << 1) | (1 << 5) | (1 << 8) | (1 << 18) | (1 << 19) | (1 << 20) | (1 << 22)


def legal_mstatus(old: int, new: int) -> int:
    """mstatus after a write on an M+U hart: the S-mode fields read 0 and MPP keeps a legal
    mode (U or M; WARL)."""
    new &= ~MSTATUS_SIE_FIELDS
    if (new & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT not in (PRIV_U, PRIV_M):
        new = (new & ~MSTATUS_MPP) | (old & MSTATUS_MPP)
    return new
