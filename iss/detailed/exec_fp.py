"""F and D: FP loads/stores, arithmetic (through iss.softfloat), sign injection, moves,
comparisons, classification and conversions.

FP registers hold 64-bit patterns. A single-precision value is NaN-boxed (upper 32 bits all
ones); an operand that is not properly boxed reads as the canonical NaN (transfers -- fsw,
fmv.x.w -- use the raw low bits). Every FP instruction is illegal while mstatus.FS = 0 (off);
writing an FP register or accruing flags sets FS to dirty. Rounding mode 7 (DYN) takes frm;
an invalid frm is an illegal instruction. FPU results are ready `latency` cycles after issue
(timing.py); a reader stalls until then.
"""

from .. import softfloat as sf
from .common import M32, executes, illegal, wreg
from .csrfile import MSTATUS_FS

BOX = 0xFFFF_FFFF_0000_0000
CANONICAL_NAN32 = 0x7FC0_0000
SIGN32, SIGN64 = 1 << 31, 1 << 63


def unbox(v: int) -> int:
    return v & M32 if v >= BOX else CANONICAL_NAN32


def _fs_off(d):
    return illegal(d, "illegal instruction (FPU off: mstatus.FS = 0)")


# -- operation table ------------------------------------------------------------------------------
# name -> (compute(rm, *operands) -> (value, flags), operand kinds, destination kind)
# kinds: "s" single (unboxed / boxed), "d" double, "x" integer register, "w" raw low 32 bits.

OPS: dict = {}


def _sgnj(sign, mode):
    mag = sign - 1
    if mode == 0:
        return lambda rm, a, b: ((a & mag) | (b & sign), 0)
    if mode == 1:
        return lambda rm, a, b: ((a & mag) | (~b & sign), 0)
    return lambda rm, a, b: (a ^ (b & sign), 0)


def _fill_ops() -> None:
    for sfx, fmt, sign in (("s", sf.F32, SIGN32), ("d", sf.F64, SIGN64)):
        k = sfx
        OPS[f"fadd.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.add(fmt, a, b, rm), (k, k), k)
        OPS[f"fsub.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.sub(fmt, a, b, rm), (k, k), k)
        OPS[f"fmul.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.mul(fmt, a, b, rm), (k, k), k)
        OPS[f"fdiv.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.div(fmt, a, b, rm), (k, k), k)
        OPS[f"fsqrt.{sfx}"] = (lambda rm, a, fmt=fmt: sf.sqrt(fmt, a, rm), (k,), k)
        for name, neg_p, neg_a in (("fmadd", False, False), ("fmsub", False, True), ("fnmsub", True, False), ("fnmadd", True, True)):
            OPS[f"{name}.{sfx}"] = (
                lambda rm, a, b, c, fmt=fmt, p=neg_p, q=neg_a: sf.fma(fmt, a, b, c, rm, negate_product=p, negate_addend=q),
                (k, k, k),
                k,
            )
        for mode, name in enumerate(("fsgnj", "fsgnjn", "fsgnjx")):
            OPS[f"{name}.{sfx}"] = (_sgnj(sign, mode), (k, k), k)
        OPS[f"fmin.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.min_(fmt, a, b), (k, k), k)
        OPS[f"fmax.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.max_(fmt, a, b), (k, k), k)
        OPS[f"feq.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.eq(fmt, a, b), (k, k), "x")
        OPS[f"flt.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.lt(fmt, a, b), (k, k), "x")
        OPS[f"fle.{sfx}"] = (lambda rm, a, b, fmt=fmt: sf.le(fmt, a, b), (k, k), "x")
        OPS[f"fclass.{sfx}"] = (lambda rm, a, fmt=fmt: (sf.classify(fmt, a), 0), (k,), "x")
        OPS[f"fcvt.w.{sfx}"] = (lambda rm, a, fmt=fmt: sf.to_int(fmt, a, rm, True), (k,), "x")
        OPS[f"fcvt.wu.{sfx}"] = (lambda rm, a, fmt=fmt: sf.to_int(fmt, a, rm, False), (k,), "x")
        OPS[f"fcvt.{sfx}.w"] = (lambda rm, v, fmt=fmt: sf.from_int(fmt, v, True, rm), ("x",), k)
        OPS[f"fcvt.{sfx}.wu"] = (lambda rm, v, fmt=fmt: sf.from_int(fmt, v, False, rm), ("x",), k)
    OPS["fcvt.s.d"] = (lambda rm, a: sf.convert(sf.F64, sf.F32, a, rm), ("d",), "s")
    OPS["fcvt.d.s"] = (lambda rm, a: sf.convert(sf.F32, sf.F64, a, rm), ("s",), "d")
    OPS["fmv.x.w"] = (lambda rm, a: (a, 0), ("w",), "x")
    OPS["fmv.w.x"] = (lambda rm, v: (v, 0), ("x",), "s")


_fill_ops()


def _operand_reader(h, kind: str, index: int):
    f, x = h.f, h.x
    if kind == "d":
        return lambda: f[index]
    if kind == "s":
        ub = getattr(h, "unbox", unbox)  # a fast hart's hand-off instance reads QEMU's unboxed f32
        return lambda: ub(f[index])
    if kind == "w":
        return lambda: f[index] & M32
    return lambda: x[index]


def _fpu(h, d, pc):
    compute, kinds, dst = OPS[d.name]
    f, x, fr, xr, xmax, st = h.f, h.x, h.fready, h.xready, h.xready_max, h._st
    regs = (d.rs1, d.rs2, d.rs3)[: len(kinds)]
    fsrcs = tuple(r for r, k in zip(regs, kinds) if k != "x")
    readers = tuple(_operand_reader(h, k, r) for r, k in zip(regs, kinds))
    static_rm = d.rm if d.rm is not None else 0
    latency = h.timing.fp_latency(d.word)
    off, bad_rm = _fs_off(d), illegal(d, "illegal instruction (invalid rounding mode in frm)")
    nxt = pc + 4
    box = BOX if dst == "s" else 0
    rd = d.rd if dst != "x" else wreg(d.rd)
    to_x = dst == "x"

    def run(n):
        if not h.mstatus & MSTATUS_FS:
            raise off
        rm = static_rm
        if rm == 7:
            rm = h.frm
            if rm > 4:
                raise bad_rm
        now = n + st[0]
        for r in fsrcs:
            if fr[r] > now:
                st[0] += fr[r] - now
                now = fr[r]
        value, flags = compute(rm, *[read() for read in readers])
        if flags:
            h.fflags |= flags
            h.mstatus |= MSTATUS_FS
        if to_x:
            x[rd] = value
            ready = now + latency
            xr[rd] = ready
            if ready > xmax[0]:
                xmax[0] = ready
            return nxt | 1 if latency > 1 else nxt  # tag: the next readers check the scoreboard
        f[rd] = value | box
        fr[rd] = now + latency
        h.mstatus |= MSTATUS_FS
        return nxt

    return run


executes(*OPS)(_fpu)


# -- loads and stores -------------------------------------------------------------------------------


@executes("flw", "fld")
def fp_load(h, d, pc):
    x, f, fr, port = h.x, h.f, h.fready, h.port
    load, lo, hi = port.load, port.inline_lo, port.inline_hi  # (0, 0) in strict mode: all via load()
    size = 4 if d.name == "flw" else 8
    v = port.l1.u[size]
    shift, box = (2, BOX) if size == 4 else (3, 0)
    a, r, imm, nxt, off = d.rs1, d.rd, d.imm, pc + 4, _fs_off(d)
    amask = size - 1

    def run(n):
        if not h.mstatus & MSTATUS_FS:
            raise off
        ad = x[a] + imm
        if lo <= ad < hi and not ad & amask:
            f[r] = v[(ad - lo) >> shift] | box
        else:
            f[r] = load(ad, size, n, pc) | box
        fr[r] = 0
        h.mstatus |= MSTATUS_FS
        return nxt

    return run


@executes("fsw", "fsd")
def fp_store(h, d, pc):
    x, f, fr, st, port = h.x, h.f, h.fready, h._st, h.port
    store, lo, hi = port.store, port.inline_lo, port.inline_hi  # (0, 0) in strict mode: all via store()
    size = 4 if d.name == "fsw" else 8
    v = port.l1.u[size]
    shift, mask = (2, M32) if size == 4 else (3, (1 << 64) - 1)
    a, b, imm, nxt, off = d.rs1, d.rs2, d.imm, pc + 4, _fs_off(d)
    amask = size - 1

    def run(n):
        if not h.mstatus & MSTATUS_FS:
            raise off
        now = n + st[0]
        if fr[b] > now:
            st[0] += fr[b] - now
        ad = x[a] + imm
        if lo <= ad < hi and not ad & amask:
            v[(ad - lo) >> shift] = f[b] & mask
        else:
            store(ad, size, f[b], n, pc)
        return nxt

    return run
