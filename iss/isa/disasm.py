"""GNU objdump style disassembly (ABI register names), driven by the encoding table.

With aliases=True (default) the pseudo-instructions objdump prints are used (nop, li,
mv, ret, j, csrr, beqz, fmv.d, ...); aliases=False prints what `objdump -M no-aliases`
prints. One deliberate difference: binutils 2.40's alias mode drops the "i" of
immediate forms (add a0,a0,-1, csrs mstatus,8); we print addi, csrsi, ... as the ISA
names them.
"""

import functools

from .csrs import csr_name
from .decode import CompressedInstruction, Decoded, IllegalInstruction, decode
from .encoding import FORMATS
from .regnames import REG_NAMES, XREG_NAMES

RM_NAMES = ("rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn")
# Always-exact conversions: gas encodes rm = 0 (rne) and objdump does not print it.
_EXACT_CVT = frozenset({"fcvt.d.w", "fcvt.d.wu", "fcvt.d.s"})
UNIMP = 0xC0001073  # csrrw zero,cycle,zero: the canonical "unimp" word

_CSR_READ = {0x001: "frflags", 0x002: "frrm", 0x003: "frcsr", 0xC00: "rdcycle", 0xC01: "rdtime",
             0xC02: "rdinstret", 0xC80: "rdcycleh", 0xC81: "rdtimeh", 0xC82: "rdinstreth"}
_CSR_SWAP = {0x001: "fsflags", 0x002: "fsrm", 0x003: "fscsr"}
_CSR_SWAPI = {0x001: "fsflagsi", 0x002: "fsrmi"}
_FSGNJ = {"fsgnj": "fmv", "fsgnjn": "fneg", "fsgnjx": "fabs"}


def _fence_set(bits: int) -> str:
    return "".join(c for c, b in zip("iorw", (8, 4, 2, 1)) if bits & b) or "unknown"


def _target(offset: int, pc: int | None) -> str:
    if pc is None:
        return f"pc{'-' if offset < 0 else '+'}{abs(offset):#x}"
    return f"{(pc + offset) & 0xFFFFFFFF:#x}"


def _operand(tok: str, d: Decoded, pc: int | None) -> str:
    if tok in ("rd", "rs1", "rs2", "rs3"):
        return REG_NAMES[getattr(d.enc, tok)][getattr(d, tok)]
    if tok == "imm":
        return str(d.imm)
    if tok == "hex":
        return hex(d.imm)
    if tok == "mem":
        return f"{d.imm}({XREG_NAMES[d.rs1]})"
    if tok == "(rs1)":
        return f"({XREG_NAMES[d.rs1]})"
    if tok == "upper":
        return hex(d.imm >> 12 & 0xFFFFF)
    if tok == "target":
        return _target(d.imm, pc)
    if tok == "csr":
        return csr_name(d.csr)
    if tok == "rm":
        return RM_NAMES[d.rm]
    if tok in ("pred", "succ"):
        return _fence_set(getattr(d, tok))
    if tok == "frep_n":  # the assembler syntax gives the body length, max_inst + 1
        return str(d.imm + 1)
    return str(getattr(d, tok))  # stagger_max, stagger_mask


def _mnemonic(d: Decoded) -> str:
    if d.enc.kind == "amo":
        return d.name + ("", ".rl", ".aq", ".aqrl")[d.aq << 1 | d.rl]
    if d.name == "fence" and d.word >> 28 == 8 and d.pred == d.succ == 3:
        return "fence.tso"
    return d.name


def _omit(tok: str, d: Decoded) -> bool:
    if tok != "rm":
        return False
    return d.rm == 7 or (d.rm == 0 and d.name in _EXACT_CVT)


def _csr_alias(d: Decoded, ops: list[str]):
    n, rd, rs1, csr = d.name, d.rd, d.rs1, d.csr
    if n == "csrrs" and rs1 == 0:
        return (_CSR_READ[csr], ops[:1]) if csr in _CSR_READ else ("csrr", ops[:2])
    if n == "csrrw" and csr in _CSR_SWAP:
        return _CSR_SWAP[csr], [ops[2]] if rd == 0 else [ops[0], ops[2]]
    if n == "csrrwi" and csr in _CSR_SWAPI:
        return _CSR_SWAPI[csr], [ops[0], ops[2]]
    if rd == 0:  # csrrs with rs1 = 0 was handled above (csrr)
        return "csr" + n[4:], ops[1:]  # csrrw -> csrw, csrrsi -> csrsi, ...
    return None


def _alias(d: Decoded, ops: list[str]):
    """objdump's pseudo-instruction for d, as (mnemonic, operands), or None."""
    n, rd, rs1, rs2, imm, x = d.name, d.rd, d.rs1, d.rs2, d.imm, XREG_NAMES
    if n == "addi":
        if rd == rs1 == imm == 0:
            return "nop", []
        if rs1 == 0:
            return "li", [ops[0], ops[2]]
        if imm == 0:
            return "mv", ops[:2]
    elif n == "andi" and imm == 255:
        return "zext.b", ops[:2]
    elif n == "xori" and imm == -1:
        return "not", ops[:2]
    elif n == "sltiu" and imm == 1:
        return "seqz", ops[:2]
    elif n in ("sub", "sltu") and rs1 == 0:
        return ("neg" if n == "sub" else "snez"), [ops[0], ops[2]]
    elif n == "slt" and (rs1 == 0 or rs2 == 0):
        return ("sltz", ops[:2]) if rs2 == 0 else ("sgtz", [ops[0], ops[2]])
    elif n == "jal" and rd <= 1:
        return ("j" if rd == 0 else "jal"), ops[1:]
    elif n == "jalr":
        if rd == 0 and rs1 == 1 and imm == 0:
            return "ret", []
        dest = x[rs1] if imm == 0 else ops[1]
        if rd <= 1:
            return ("jr" if rd == 0 else "jalr"), [dest]
        if imm == 0:
            return "jalr", [ops[0], dest]
    elif n in ("beq", "bne") and rs2 == 0:
        return n + "z", [ops[0], ops[2]]
    elif n in ("blt", "bge") and (rs1 == 0 or rs2 == 0):
        if rs2 == 0:
            return n + "z", [ops[0], ops[2]]
        return ("bgtz" if n == "blt" else "blez"), [ops[1], ops[2]]
    elif n == "fence" and d.pred == d.succ == 15 and d.word >> 28 == 0:
        return "fence", []
    elif n == "sfence.vma" and rs2 == 0:
        return n, [] if rs1 == 0 else ops[:1]
    elif n.split(".")[0] in _FSGNJ and rs1 == rs2:
        base, sfx = n.split(".")
        return f"{_FSGNJ[base]}.{sfx}", ops[:2]
    elif d.enc.kind == "csr":
        return _csr_alias(d, ops)
    return None


@functools.lru_cache(maxsize=1 << 16)
def disassemble(word: int, pc: int | None = None, aliases: bool = True) -> str:
    """One instruction as text, e.g. "lw a0,8(sp)". Branch and jump targets are absolute
    when pc is given, else "pc+0x10". Unknown words give ".word 0x...", 16-bit ones a
    ".2byte" line that says compressed instructions are not supported."""
    try:
        d = decode(word)
    except CompressedInstruction as exc:
        return f".2byte {exc.word:#06x}  # compressed instruction (C extension not supported)"
    except IllegalInstruction:
        return f".word 0x{word:08x}"
    if word == UNIMP:
        return "unimp"
    syntax = FORMATS[d.enc.fmt][1]
    ops = [_operand(t, d, pc) for t in syntax if not _omit(t, d)]
    mnemonic = _mnemonic(d)
    if mnemonic == "fence.tso":
        ops = []
    elif aliases:
        alias = _alias(d, ops)
        if alias:
            mnemonic, ops = alias
    return f"{mnemonic} {','.join(ops)}" if ops else mnemonic
