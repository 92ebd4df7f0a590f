"""Integer loads and stores (RV32I) and atomics (A: AMOs, lr.w, sc.w).

Aligned L1 accesses are done inline; every other access goes through DataPort (access.py),
which adds the L2 latency, serves devices and raises misaligned/unmapped faults.
"""

from .common import M32, executes, wreg
from .exec_int import sx

# name: (size, view attribute of RamViews, fast-path value, slow-path value)
LOADS = {
    "lb": (1, "s8", "v[ad - lo] & M32", "sext8(load(ad, 1, n, pc))"),
    "lbu": (1, "u[1]", "v[ad - lo]", "load(ad, 1, n, pc)"),
    "lh": (2, "s16", "v[(ad - lo) >> 1] & M32", "sext16(load(ad, 2, n, pc))"),
    "lhu": (2, "u[2]", "v[(ad - lo) >> 1]", "load(ad, 2, n, pc)"),
    "lw": (4, "u[4]", "v[(ad - lo) >> 2]", "load(ad, 4, n, pc)"),
}
STORES = {
    "sb": (1, "u[1]", "v[ad - lo] = x[b] & 0xFF"),
    "sh": (2, "u[2]", "v[(ad - lo) >> 1] = x[b] & 0xFFFF"),
    "sw": (4, "u[4]", "v[(ad - lo) >> 2] = x[b]"),
}

_LOAD = """
def build(h, d, pc):
    x, port = h.x, h.port
    load, lo, hi, v = port.load, port.inline_lo, port.inline_hi, port.l1.{view}
    a, r, imm, nxt = d.rs1, wreg(d.rd), d.imm, pc + 4
    def run(n):
        ad = x[a] + imm
        if lo <= ad < hi{aligned}:
            x[r] = {fast}
        else:
            x[r] = {slow}
        return nxt
    return run
"""

_STORE = """
def build(h, d, pc):
    x, port = h.x, h.port
    store, lo, hi, v = port.store, port.inline_lo, port.inline_hi, port.l1.{view}
    a, b, imm, nxt = d.rs1, d.rs2, d.imm, pc + 4
    def run(n):
        ad = x[a] + imm
        if lo <= ad < hi{aligned}:
            {fast}
        else:
            store(ad, {size}, x[b], n, pc)
        return nxt
    return run
"""


def sext8(v: int) -> int:
    return (v ^ 0x80) - 0x80 & M32


def sext16(v: int) -> int:
    return (v ^ 0x8000) - 0x8000 & M32


def _generate(template: str, **fields):
    ns = {"M32": M32, "wreg": wreg, "sext8": sext8, "sext16": sext16}
    exec(template.format(**fields), ns)
    return ns["build"]


def _aligned(size: int) -> str:
    return f" and not ad & {size - 1}" if size > 1 else ""


for _name, (_size, _view, _fast, _slow) in LOADS.items():
    executes(_name)(_generate(_LOAD, view=_view, aligned=_aligned(_size), fast=_fast, slow=_slow))
for _name, (_size, _view, _fast) in STORES.items():
    executes(_name)(_generate(_STORE, view=_view, aligned=_aligned(_size), fast=_fast, size=_size))


AMO_OPS = {
    "amoswap.w": lambda old, v: v,
    "amoadd.w": lambda old, v: old + v,
    "amoxor.w": lambda old, v: old ^ v,
    "amoand.w": lambda old, v: old & v,
    "amoor.w": lambda old, v: old | v,
    "amomin.w": lambda old, v: old if sx(old) < sx(v) else v,
    "amomax.w": lambda old, v: old if sx(old) > sx(v) else v,
    "amominu.w": min,
    "amomaxu.w": max,
}


def _amo(h, d, pc):
    x, amo, op = h.x, h.port.amo, AMO_OPS[d.name]
    a, b, r, nxt = d.rs1, d.rs2, wreg(d.rd), pc + 4

    def run(n):
        x[r] = amo(x[a], op, x[b], n, pc)
        return nxt

    return run


executes(*AMO_OPS)(_amo)


@executes("lr.w")
def lr_w(h, d, pc):
    x, load, res = h.x, h.port.load, h.reservation
    a, r, nxt = d.rs1, wreg(d.rd), pc + 4

    def run(n):
        ad = x[a]
        value = load(ad, 4, n, pc)
        res[0], res[1] = ad, value
        x[r] = value
        return nxt

    return run


@executes("sc.w")
def sc_w(h, d, pc):
    x, sc, check, res = h.x, h.port.store_conditional, h.port.check_amo, h.reservation
    a, b, r, nxt = d.rs1, d.rs2, wreg(d.rd), pc + 4

    def run(n):
        ad = x[a]
        check(ad)  # misaligned: a store/AMO exception, reservation or not
        ok = res[0] == ad and sc(ad, x[b], res[1], n, pc)
        res[0] = -1
        x[r] = 0 if ok else 1
        return nxt

    return run
