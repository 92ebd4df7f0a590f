"""Seeded random instruction streams over RV32IMAFD, for lockstep checking of the engines.

A stream is a Program (no compiler needed): a fixed prologue (hart 0 only; other harts park),
`length` random instructions drawn from the encoding table, and an epilogue that ends the run
through SIM_EXIT. Constraints keep every instruction meaningful on both engines:
 - loads/stores use x31 (base of a 4 KiB data block in L1) with an aligned offset, AMOs and
   LR/SC use x30 (an aligned word in that block); no other instruction writes x30/x31;
 - branches and jal jump 8 bytes forward (skipping one instruction) so control flow varies
   but stays inside the stream; no jalr, system or custom instructions;
 - CSR instructions touch only fflags/frm/fcsr, and only with values that keep frm valid;
 - rounding-mode fields are 0..4 or dyn.
"""

import random
from pathlib import Path

from . import memmap as mm
from .elf import Program, Segment
from .isa import ENCODINGS

CODE_BASE = mm.L2_BASE
DATA_BASE = mm.L1_BASE + 0x1000
DATA_SIZE = 0x1000
BASE_REG, AMO_REG = 31, 30
AMO_OFFSET = 0x800

_EXTS = {"I", "M", "A", "F", "D", "Zicsr", "Zifencei"}
_SKIP = {"ecall", "ebreak", "jalr", "sret", "mret", "wfi", "sfence.vma"}
_BASE = [e for e in ENCODINGS if e.ext in _EXTS and e.name not in _SKIP and e.kind != "system"]


def _is_single(e) -> bool:
    """Touches f32 register values (the .s operations and conversions, flw/fsw, fmv.*.w)."""
    return e.ext == "F" and e.name not in ("fld", "fsd")


# Streams mix integer instructions with one FP precision: a single-precision operation on a
# double (or the reverse) depends on NaN-boxing, which the fast engine (QEMU 5) does not do
# (docs/platform-notes.md); compiled code never mixes them on one register.
PROFILES = {
    "int": [e for e in _BASE if e.ext not in ("F", "D")],
    "f32": [e for e in _BASE if e.ext != "D" and not (e.ext == "F" and e.name in ("fld", "fsd"))],
    "f64": [e for e in _BASE if not _is_single(e) and not e.name.endswith(".s") and ".s." not in e.name],
}

# Interesting FP bit patterns mixed into the data block (f64 and f32 NaN-boxed or not).
_SPECIAL64 = [0, 1 << 63, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000, 0x7FF4000000000000,
              0x0000000000000001, 0x000FFFFFFFFFFFFF, 0x3FF0000000000000, 0x7FEFFFFFFFFFFFFF]
_SPECIAL32 = [0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7FA00000, 0x00000001, 0x007FFFFF,
              0x3F800000, 0x7F7FFFFF, 0x4F000000, 0xCF000000]


def _i(op, rd, f3, rs1, imm):
    return (imm & 0xFFF) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op


def _u(op, rd, imm20):
    return (imm20 & 0xFFFFF) << 12 | rd << 7 | op


def _s(op, f3, rs1, rs2, imm):
    return ((imm >> 5) & 0x7F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1F) << 7 | op


def _b(f3, rs1, rs2, off):
    return (((off >> 12) & 1) << 31 | ((off >> 5) & 0x3F) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12
            | ((off >> 1) & 0xF) << 8 | ((off >> 11) & 1) << 7 | 0x63)


def _set(word, lo, width, value):
    mask = ((1 << width) - 1) << lo
    return (word & ~mask) | ((value << lo) & mask)


class StreamGenerator:
    def __init__(self, seed: int, profile: str = "f64"):
        self.rng = random.Random(seed)
        self.pool = PROFILES[profile]

    def _reg(self, kind):
        return self.rng.randrange(0, 30) if kind == "x" else self.rng.randrange(0, 32)

    def instruction(self, remaining: int) -> int:
        rng = self.rng
        enc = rng.choice(self.pool)
        word = enc.match | (rng.getrandbits(32) & ~enc.mask)
        # Register fields: keep x30/x31 as bases.
        for lo, kind in ((7, enc.rd), (15, enc.rs1), (20, enc.rs2), (27, enc.rs3)):
            if kind and not (enc.mask >> lo) & 0x1F:
                word = _set(word, lo, 5, self._reg(kind))
        if enc.has_rm and not (enc.mask >> 12) & 7:
            word = _set(word, 12, 3, rng.choice((0, 1, 2, 3, 4, 7)))
        if enc.kind in ("load", "store"):
            size = max(enc.mem, 1)
            offset = rng.randrange(0, 0x700 // size) * size
            word = _set(word, 15, 5, BASE_REG)
            if enc.kind == "load":
                word = _set(word, 20, 12, offset)
            else:
                word = _set(word, 7, 5, offset & 0x1F)
                word = _set(word, 25, 7, offset >> 5)
        elif enc.kind == "amo":
            word = _set(word, 15, 5, AMO_REG)
        elif enc.kind == "branch":
            word = _b((word >> 12) & 7, (word >> 15) & 31, (word >> 20) & 31, 8) if remaining > 1 else 0x13
        elif enc.kind == "jump":  # jal
            word = ((4 << 21) | (word & 0xF80) | 0x6F) if remaining > 1 else 0x13
        elif enc.kind == "csr":
            csr = rng.choice((0x001, 0x002, 0x003))
            word = _set(word, 20, 12, csr)
            if enc.fmt == "CSRI":
                value = rng.randrange(0, 5) if csr == 0x002 or rng.random() < 0.5 else rng.randrange(0, 32)
                if csr == 0x002 and enc.name != "csrrwi":
                    value = 0  # csrrsi/csrrci on frm could make it invalid
                word = _set(word, 15, 5, value)
            else:
                word = _set(word, 15, 5, 0)
                if enc.name == "csrrw":  # rd <- csr, csr <- x0: keeps frm valid
                    pass
        elif enc.name == "lr.w":
            return word  # rs1 already x30
        return word

    def data(self) -> bytes:
        rng = self.rng
        out = bytearray(rng.getrandbits(8) for _ in range(DATA_SIZE))
        for i in range(0, DATA_SIZE, 64):
            v = rng.choice(_SPECIAL64)
            out[i : i + 8] = v.to_bytes(8, "little")
            w = rng.choice(_SPECIAL32) | (0xFFFFFFFF << 32 if rng.random() < 0.8 else 0)
            out[i + 8 : i + 16] = w.to_bytes(8, "little")
        return bytes(out)


def prologue(profile: str = "f64") -> list[int]:
    words = [
        0xF14022F3,  # csrr t0, mhartid
        _b(0, 5, 0, 12),  # beqz t0, +12: hart 0 goes on
        0x10500073,  # other harts park: wfi
        _b(0, 0, 0, -4),  # j back to wfi
        _u(0x37, BASE_REG, DATA_BASE >> 12),
        _i(0x13, AMO_REG, 0, BASE_REG, 0),
        _u(0x37, 5, 0x2),  # t0 = 0x2000: mstatus.FS = initial
        0x3002A073,  # csrs mstatus, t0
    ]
    # Initial state from the data block: f0..f31 (64-bit), x1..x29.
    if profile == "f32":  # flw boxes the values
        words += [_i(0x07, f, 2, BASE_REG, 0x700 + 8 * f + 8) for f in range(32)]
    else:
        words += [_i(0x07, f, 3, BASE_REG, 0x700 + 8 * f) for f in range(32)]  # fld
    words += [_i(0x03, x, 2, BASE_REG, 0x600 + 4 * x) for x in range(1, 30)]  # lw
    # x30 = data base + AMO_OFFSET (aligned); split because of the 12-bit immediate
    words += [_i(0x13, AMO_REG, 0, AMO_REG, 0x7FC), _i(0x13, AMO_REG, 0, AMO_REG, AMO_OFFSET - 0x7FC)]
    return words


def epilogue() -> list[int]:
    exit_addr = mm.PERIPH_BASE + mm.SIM_EXIT
    hi = (exit_addr + 0x800) >> 12
    return [
        _u(0x37, 5, hi),  # lui t0
        _i(0x13, 6, 0, 0, 1),  # li t1, 1  -> exit code 0
        _s(0x23, 2, 5, 6, exit_addr - (hi << 12)),  # sw t1, off(t0)
    ]


def random_program(seed: int, length: int, profile: str = "f64") -> Program:
    gen = StreamGenerator(seed, profile)
    body = [gen.instruction(length - i) for i in range(length)]
    words = prologue(profile) + body + epilogue()
    code = b"".join(w.to_bytes(4, "little") for w in words)
    data = gen.data()
    return Program(
        path=Path(f"<random {profile} stream seed={seed} length={length}>"),
        entry=CODE_BASE,
        segments=[Segment(CODE_BASE, code, len(code)), Segment(DATA_BASE, data, len(data))],
        code_ranges=[(CODE_BASE, CODE_BASE + len(code))],
        symbols={"stream": CODE_BASE + 4 * len(prologue(profile)), "data": DATA_BASE},
        symbol_sizes={"stream": 4 * length, "data": DATA_SIZE},
    )
