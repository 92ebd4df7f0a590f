"""The one table of instruction encodings (RV32IMAFD, Zicsr, Zifencei, privileged, Snitch).

Decoder, disassembler, execution engines and trace writer all read ENCODINGS, so an
instruction is described exactly once. Entries are written riscv-opcodes style: named
bit fields with fixed values; _enc() turns them into mask/match.
"""

from dataclasses import dataclass

# Operand formats. Each maps to (immediate kind, operand syntax). The immediate kind
# tells the decoder how to build Decoded.imm; the syntax tokens tell the disassembler
# what to print, in objdump order ("rm" is printed only when it is not dyn).
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "R": ("", ("rd", "rs1", "rs2")),
    "R_RM": ("", ("rd", "rs1", "rs2", "rm")),
    "R1": ("", ("rd", "rs1")),  # one source: fmv.x.w, fclass
    "R1_RM": ("", ("rd", "rs1", "rm")),  # fsqrt, fcvt
    "R4": ("", ("rd", "rs1", "rs2", "rs3", "rm")),  # fused multiply-add
    "I": ("i", ("rd", "rs1", "imm")),
    "I_SH": ("shamt", ("rd", "rs1", "hex")),  # shift amount, objdump prints hex
    "I_MEM": ("i", ("rd", "mem")),  # loads (x and f) and jalr: rd,imm(rs1)
    "S": ("s", ("rs2", "mem")),  # stores (x and f): rs2,imm(rs1)
    "B": ("b", ("rs1", "rs2", "target")),
    "U": ("u", ("rd", "upper")),
    "J": ("j", ("rd", "target")),
    "CSR": ("", ("rd", "csr", "rs1")),
    "CSRI": ("zimm", ("rd", "csr", "imm")),  # imm = 5-bit zero-extended rs1 field
    "AMO": ("", ("rd", "rs2", "(rs1)")),
    "LR": ("", ("rd", "(rs1)")),
    "FENCE": ("", ("pred", "succ")),
    "NONE": ("", ()),
    "RS1_RS2": ("", ("rs1", "rs2")),  # sfence.vma, scfgw, dmsrc, dmdst, dmstr
    "RS1": ("", ("rs1",)),  # dmrep
    "RD_RS2": ("", ("rd", "rs2")),  # scfgr, dmstat
    # Snitch custom formats.
    "FREP": ("u12", ("rs1", "frep_n", "stagger_max", "stagger_mask")),  # imm = max_inst
    "RD_U12": ("u12", ("rd", "hex")),  # scfgri: imm = reg << 5 | dm
    "RS1_U12": ("u12", ("rs1", "hex")),  # scfgwi
    "RD_RS1_U5": ("u5", ("rd", "rs1", "hex")),  # dmcpyi: imm = config (rs2 field)
    "RD_U5": ("u5", ("rd", "hex")),  # dmstati: imm = status selector (rs2 field)
}

# Operand register files, per register operand: "x" integer, "f" floating point,
# "" not an operand (the field is fixed or holds something else).
X, F = "x", "f"


@dataclass(frozen=True, slots=True)
class Encoding:
    name: str  # mnemonic as `objdump -M no-aliases` prints it
    mask: int  # bits fixed by the encoding
    match: int  # values of those bits
    fmt: str  # key of FORMATS
    ext: str  # I, M, A, F, D, Zicsr, Zifencei, Priv, Xfrep, Xssr, Xdma
    rd: str = ""  # register file of each register operand: "x", "f" or ""
    rs1: str = ""
    rs2: str = ""
    rs3: str = ""
    kind: str = ""  # load, store, amo, branch, jump, csr, fence, system, or "" (compute)
    mem: int = 0  # bytes accessed by loads, stores and AMOs
    signed: bool = False  # loads: sign-extend the loaded value

    @property
    def opcode(self) -> int:
        return self.match & 0x7F

    @property
    def is_load(self) -> bool:
        return self.kind == "load"

    @property
    def is_store(self) -> bool:
        return self.kind == "store"

    @property
    def is_branch(self) -> bool:
        return self.kind == "branch"

    @property
    def reads_fp(self) -> bool:
        return F in (self.rs1, self.rs2, self.rs3)

    @property
    def writes_fp(self) -> bool:
        return self.rd == F

    @property
    def has_rm(self) -> bool:
        return "rm" in FORMATS[self.fmt][1]


# Bit positions (hi, lo) of the named fields used in the table below.
_FIELDS = {
    "op": (6, 0),
    "rd": (11, 7),
    "f3": (14, 12),
    "rs1": (19, 15),
    "rs2": (24, 20),
    "f7": (31, 25),
    "f5": (31, 27),  # AMO funct5, FP funct5
    "fp": (26, 25),  # FP format: 0 = S, 1 = D
    "imm12": (31, 20),
    "bit7": (7, 7),  # Xfrep: 1 = frep.o, 0 = frep.i
}


def _enc(name, fmt, ext, regs="", kind="", mem=0, signed=False, **fixed):
    """regs: register files of rd, rs1, rs2, rs3 in order ("x", "f" or "-")."""
    mask = match = 0
    for field, value in fixed.items():
        hi, lo = _FIELDS[field]
        bits = ((1 << (hi - lo + 1)) - 1) << lo
        assert (value << lo) & ~bits == 0, (name, field)
        mask |= bits
        match |= value << lo
    files = [c if c in "xf" else "" for c in regs.ljust(4, "-")]
    return Encoding(name, mask, match, fmt, ext, *files, kind=kind, mem=mem, signed=signed)


# Major opcodes (bits 6:0).
LOAD, LOAD_FP, CUSTOM0, MISC_MEM, OP_IMM, AUIPC = 0x03, 0x07, 0x0B, 0x0F, 0x13, 0x17
STORE, STORE_FP, CUSTOM1, AMO, OP, LUI = 0x23, 0x27, 0x2B, 0x2F, 0x33, 0x37
MADD, MSUB, NMSUB, NMADD, OP_FP = 0x43, 0x47, 0x4B, 0x4F, 0x53
BRANCH, JALR, JAL, SYSTEM = 0x63, 0x67, 0x6F, 0x73


def _rv32i():
    yield _enc("lui", "U", "I", "x", op=LUI)
    yield _enc("auipc", "U", "I", "x", op=AUIPC)
    yield _enc("jal", "J", "I", "x", "jump", op=JAL)
    yield _enc("jalr", "I_MEM", "I", "xx", "jump", op=JALR, f3=0)
    for f3, name in enumerate(("beq", "bne", None, None, "blt", "bge", "bltu", "bgeu")):
        if name:
            yield _enc(name, "B", "I", "-xx", "branch", op=BRANCH, f3=f3)
    for f3, name, size in ((0, "lb", 1), (1, "lh", 2), (2, "lw", 4), (4, "lbu", 1), (5, "lhu", 2)):
        yield _enc(name, "I_MEM", "I", "xx", "load", size, f3 < 4, op=LOAD, f3=f3)
    for f3, name in enumerate(("sb", "sh", "sw")):
        yield _enc(name, "S", "I", "-xx", "store", 1 << f3, op=STORE, f3=f3)
    for f3, name in ((0, "addi"), (2, "slti"), (3, "sltiu"), (4, "xori"), (6, "ori"), (7, "andi")):
        yield _enc(name, "I", "I", "xx", op=OP_IMM, f3=f3)
    # RV32 shifts: imm[11:5] is funct7, so shamt[5] = 1 is illegal (covered by the mask).
    for f7, f3, name in ((0, 1, "slli"), (0, 5, "srli"), (0x20, 5, "srai")):
        yield _enc(name, "I_SH", "I", "xx", op=OP_IMM, f3=f3, f7=f7)
    alu = ("add", "sll", "slt", "sltu", "xor", "srl", "or", "and")
    for f3, name in enumerate(alu):
        yield _enc(name, "R", "I", "xxx", op=OP, f3=f3, f7=0)
    yield _enc("sub", "R", "I", "xxx", op=OP, f3=0, f7=0x20)
    yield _enc("sra", "R", "I", "xxx", op=OP, f3=5, f7=0x20)
    # fm, rs1 and rd of FENCE are reserved and ignored (not in the mask), as in riscv-opcodes.
    yield _enc("fence", "FENCE", "I", "", "fence", op=MISC_MEM, f3=0)
    yield _enc("ecall", "NONE", "I", "", "system", op=SYSTEM, f3=0, rd=0, rs1=0, imm12=0)
    yield _enc("ebreak", "NONE", "I", "", "system", op=SYSTEM, f3=0, rd=0, rs1=0, imm12=1)


def _rv32m():
    names = ("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")
    for f3, name in enumerate(names):
        yield _enc(name, "R", "M", "xxx", op=OP, f3=f3, f7=1)


def _rv32a():
    yield _enc("lr.w", "LR", "A", "xx", "amo", 4, op=AMO, f3=2, f5=0x02, rs2=0)
    yield _enc("sc.w", "AMO", "A", "xxx", "amo", 4, op=AMO, f3=2, f5=0x03)
    amos = (("amoswap.w", 0x01), ("amoadd.w", 0x00), ("amoxor.w", 0x04), ("amoand.w", 0x0C),
            ("amoor.w", 0x08), ("amomin.w", 0x10), ("amomax.w", 0x14), ("amominu.w", 0x18),
            ("amomaxu.w", 0x1C))
    for name, f5 in amos:
        yield _enc(name, "AMO", "A", "xxx", "amo", 4, op=AMO, f3=2, f5=f5)


def _rv32fd(sfx, fp, ext, size):
    """F (sfx "s", fp 0, 4 bytes) or D (sfx "d", fp 1, 8 bytes)."""
    f3, w = (2, "w") if size == 4 else (3, "d")
    yield _enc("fl" + w, "I_MEM", ext, "fx", "load", size, op=LOAD_FP, f3=f3)
    yield _enc("fs" + w, "S", ext, "-xf", "store", size, op=STORE_FP, f3=f3)
    for op, name in ((MADD, "fmadd"), (MSUB, "fmsub"), (NMSUB, "fnmsub"), (NMADD, "fnmadd")):
        yield _enc(f"{name}.{sfx}", "R4", ext, "ffff", op=op, fp=fp)
    for f5, name in ((0x00, "fadd"), (0x01, "fsub"), (0x02, "fmul"), (0x03, "fdiv")):
        yield _enc(f"{name}.{sfx}", "R_RM", ext, "fff", op=OP_FP, f5=f5, fp=fp)
    yield _enc(f"fsqrt.{sfx}", "R1_RM", ext, "ff", op=OP_FP, f5=0x0B, fp=fp, rs2=0)
    for f3, name in enumerate(("fsgnj", "fsgnjn", "fsgnjx")):
        yield _enc(f"{name}.{sfx}", "R", ext, "fff", op=OP_FP, f5=0x04, fp=fp, f3=f3)
    for f3, name in enumerate(("fmin", "fmax")):
        yield _enc(f"{name}.{sfx}", "R", ext, "fff", op=OP_FP, f5=0x05, fp=fp, f3=f3)
    for f3, name in ((2, "feq"), (1, "flt"), (0, "fle")):
        yield _enc(f"{name}.{sfx}", "R", ext, "xff", op=OP_FP, f5=0x14, fp=fp, f3=f3)
    yield _enc(f"fclass.{sfx}", "R1", ext, "xf", op=OP_FP, f5=0x1C, fp=fp, rs2=0, f3=1)
    for rs2, i in ((0, "w"), (1, "wu")):
        yield _enc(f"fcvt.{i}.{sfx}", "R1_RM", ext, "xf", op=OP_FP, f5=0x18, fp=fp, rs2=rs2)
        yield _enc(f"fcvt.{sfx}.{i}", "R1_RM", ext, "fx", op=OP_FP, f5=0x1A, fp=fp, rs2=rs2)


def _fp_moves():
    yield _enc("fmv.x.w", "R1", "F", "xf", op=OP_FP, f5=0x1C, fp=0, rs2=0, f3=0)
    yield _enc("fmv.w.x", "R1", "F", "fx", op=OP_FP, f5=0x1E, fp=0, rs2=0, f3=0)
    yield _enc("fcvt.s.d", "R1_RM", "D", "ff", op=OP_FP, f5=0x08, fp=0, rs2=1)
    yield _enc("fcvt.d.s", "R1_RM", "D", "ff", op=OP_FP, f5=0x08, fp=1, rs2=0)


def _system():
    for f3, name in ((1, "csrrw"), (2, "csrrs"), (3, "csrrc")):
        yield _enc(name, "CSR", "Zicsr", "xx", "csr", op=SYSTEM, f3=f3)
    for f3, name in ((5, "csrrwi"), (6, "csrrsi"), (7, "csrrci")):
        yield _enc(name, "CSRI", "Zicsr", "x", "csr", op=SYSTEM, f3=f3)
    # imm, rs1 and rd of FENCE.I are reserved and ignored, as in riscv-opcodes.
    yield _enc("fence.i", "NONE", "Zifencei", "", "fence", op=MISC_MEM, f3=1)
    for imm12, name in ((0x302, "mret"), (0x102, "sret"), (0x105, "wfi")):
        yield _enc(name, "NONE", "Priv", "", "system", op=SYSTEM, f3=0, rd=0, rs1=0, imm12=imm12)
    yield _enc("sfence.vma", "RS1_RS2", "Priv", "-xx", "system", op=SYSTEM, f3=0, rd=0, f7=0x09)


def _snitch():
    # Xfrep (snitch.md section 1): imm12 = max_inst, f3 = stagger_max, rd field =
    # stagger_mask << 1 | is_outer.
    yield _enc("frep.o", "FREP", "Xfrep", "-x", op=CUSTOM0, bit7=1)
    yield _enc("frep.i", "FREP", "Xfrep", "-x", op=CUSTOM0, bit7=0)
    # Xssr (section 2): funct3 001 reads, 010 writes; the register forms are told apart
    # from the immediate forms by rs1 = 1 (scfgr) and rd = 1 (scfgw).
    yield _enc("scfgri", "RD_U12", "Xssr", "x", op=CUSTOM1, f3=1, rs1=0)
    yield _enc("scfgwi", "RS1_U12", "Xssr", "-x", op=CUSTOM1, f3=2, rd=0)
    yield _enc("scfgr", "RD_RS2", "Xssr", "x-x", op=CUSTOM1, f3=1, f7=0, rs1=1)
    yield _enc("scfgw", "RS1_RS2", "Xssr", "-xx", op=CUSTOM1, f3=2, f7=0, rd=1)
    # Xdma (section 3): funct3 000, funct7 selects the operation.
    yield _enc("dmsrc", "RS1_RS2", "Xdma", "-xx", op=CUSTOM1, f3=0, f7=0, rd=0)
    yield _enc("dmdst", "RS1_RS2", "Xdma", "-xx", op=CUSTOM1, f3=0, f7=1, rd=0)
    yield _enc("dmcpyi", "RD_RS1_U5", "Xdma", "xx", op=CUSTOM1, f3=0, f7=2)
    yield _enc("dmcpy", "R", "Xdma", "xxx", op=CUSTOM1, f3=0, f7=3)
    yield _enc("dmstati", "RD_U5", "Xdma", "x", op=CUSTOM1, f3=0, f7=4, rs1=0)
    yield _enc("dmstat", "RD_RS2", "Xdma", "x-x", op=CUSTOM1, f3=0, f7=5, rs1=0)
    yield _enc("dmstr", "RS1_RS2", "Xdma", "-xx", op=CUSTOM1, f3=0, f7=6, rd=0)
    yield _enc("dmrep", "RS1", "Xdma", "-x", op=CUSTOM1, f3=0, f7=7, rd=0, rs2=0)


ENCODINGS: tuple[Encoding, ...] = (
    *_rv32i(),
    *_rv32m(),
    *_rv32a(),
    *_rv32fd("s", 0, "F", 4),
    *_rv32fd("d", 1, "D", 8),
    *_fp_moves(),
    *_system(),
    *_snitch(),
)

BY_NAME: dict[str, Encoding] = {e.name: e for e in ENCODINGS}
