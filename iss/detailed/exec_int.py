"""RV32I computational instructions, branches and jumps, and the M extension.

Register-register and register-immediate instructions are one table each: mnemonic -> the
Python expression of the result, over x[a], x[b] (unsigned 32-bit register values) and imm.
A builder is generated from each entry (see _generate), so the closure that runs per
instruction is a single specialised expression with no dispatch inside.
"""

from .common import M32, SIGN32, Fault, executes, wreg

S = SIGN32


def sx(v: int) -> int:
    """Signed value of an unsigned 32-bit register value."""
    return v - ((v & S) << 1)


def div(a: int, b: int) -> int:
    if b == 0:
        return M32
    sa, sb = sx(a), sx(b)
    if sa == -S and sb == -1:
        return S  # overflow: the dividend
    q = abs(sa) // abs(sb)
    return (-q if (sa < 0) != (sb < 0) else q) & M32


def rem(a: int, b: int) -> int:
    if b == 0:
        return a
    sa, sb = sx(a), sx(b)
    if sa == -S and sb == -1:
        return 0
    r = abs(sa) % abs(sb)
    return (-r if sa < 0 else r) & M32


def divu(a: int, b: int) -> int:
    return a // b if b else M32


def remu(a: int, b: int) -> int:
    return a % b if b else a


# Result expressions. `pre` statements (timing) run before the result is written.
REG_REG = {
    "add": "(x[a] + x[b]) & M32",
    "sub": "(x[a] - x[b]) & M32",
    "sll": "(x[a] << (x[b] & 31)) & M32",
    "slt": "int((x[a] ^ S) < (x[b] ^ S))",
    "sltu": "int(x[a] < x[b])",
    "xor": "x[a] ^ x[b]",
    "srl": "x[a] >> (x[b] & 31)",
    "sra": "((x[a] ^ S) - S >> (x[b] & 31)) & M32",
    "or": "x[a] | x[b]",
    "and": "x[a] & x[b]",
    "mul": "(x[a] * x[b]) & M32",
    "mulh": "((((x[a] ^ S) - S) * ((x[b] ^ S) - S)) >> 32) & M32",
    "mulhsu": "((((x[a] ^ S) - S) * x[b]) >> 32) & M32",
    "mulhu": "(x[a] * x[b]) >> 32",
    "div": "div(x[a], x[b])",
    "divu": "divu(x[a], x[b])",
    "rem": "rem(x[a], x[b])",
    "remu": "remu(x[a], x[b])",
}
REG_IMM = {
    "addi": "(x[a] + imm) & M32",
    "slti": "int((x[a] ^ S) < (imm ^ S))",
    "sltiu": "int(x[a] < imm)",
    "xori": "x[a] ^ imm",
    "ori": "x[a] | imm",
    "andi": "x[a] & imm",
    "slli": "(x[a] << imm) & M32",
    "srli": "x[a] >> imm",
    "srai": "((x[a] ^ S) - S >> imm) & M32",
}
EXTRA_CYCLES = {  # blocking extra cycles: attribute of TimingModel
    "mul": "mul_extra", "mulh": "mul_extra", "mulhsu": "mul_extra", "mulhu": "mul_extra",
    "div": "div_extra", "divu": "div_extra", "rem": "div_extra", "remu": "div_extra",
}  # fmt: skip
BRANCH = {
    "beq": "x[a] == x[b]",
    "bne": "x[a] != x[b]",
    "blt": "(x[a] ^ S) < (x[b] ^ S)",
    "bge": "(x[a] ^ S) >= (x[b] ^ S)",
    "bltu": "x[a] < x[b]",
    "bgeu": "x[a] >= x[b]",
}

_TEMPLATE = """
def build(h, d, pc):
    x, st = h.x, h._st
    a, b, r, imm, nxt = d.rs1, d.rs2, wreg(d.rd), d.imm {imm_fix}, pc + 4
    extra = {extra}
    def run(n):
        {pre}x[r] = {expr}
        return nxt
    return run
"""

_BRANCH_TEMPLATE = """
def build(h, d, pc):
    x = h.x
    a, b, tgt, nxt = d.rs1, d.rs2, (pc + d.imm) & M32, pc + 4
    if tgt & 3:
        def run(n):
            if {cond}:
                raise Fault(0, tgt, f"jump to misaligned address 0x{{tgt:08x}}")
            return nxt
        return run
    def run(n):
        return tgt if {cond} else nxt
    return run
"""

_NAMESPACE = {"M32": M32, "S": S, "wreg": wreg, "Fault": Fault, "div": div, "divu": divu, "rem": rem, "remu": remu}


def _generate(template: str, **fields):
    ns = dict(_NAMESPACE)
    exec(template.format(**fields), ns)
    return ns["build"]


def _register_tables() -> None:
    for table, imm_fix in ((REG_REG, ""), (REG_IMM, "& M32")):
        for name, expr in table.items():
            attr = EXTRA_CYCLES.get(name)
            extra = f"h.timing.{attr}" if attr else "0"
            pre = "st[0] += extra\n        " if attr else ""
            executes(name)(_generate(_TEMPLATE, expr=expr, pre=pre, extra=extra, imm_fix=imm_fix))
    for name, cond in BRANCH.items():
        executes(name)(_generate(_BRANCH_TEMPLATE, cond=cond))


_register_tables()


@executes("lui")
def lui(h, d, pc):
    x, r, v, nxt = h.x, wreg(d.rd), d.imm & M32, pc + 4

    def run(n):
        x[r] = v
        return nxt

    return run


@executes("auipc")
def auipc(h, d, pc):
    x, r, v, nxt = h.x, wreg(d.rd), (pc + d.imm) & M32, pc + 4

    def run(n):
        x[r] = v
        return nxt

    return run


@executes("jal")
def jal(h, d, pc):
    x, r, tgt, link = h.x, wreg(d.rd), (pc + d.imm) & M32, pc + 4
    if tgt & 3:

        def misaligned(n):
            raise Fault(0, tgt, f"jump to misaligned address 0x{tgt:08x}")

        return misaligned

    def run(n):
        x[r] = link
        return tgt

    return run


@executes("jalr")
def jalr(h, d, pc):
    x, a, r, imm, link = h.x, d.rs1, wreg(d.rd), d.imm, pc + 4

    def run(n):
        t = (x[a] + imm) & 0xFFFF_FFFE
        if t & 2:
            raise Fault(0, t, f"jump to misaligned address 0x{t:08x}")
        x[r] = link
        return t

    return run
