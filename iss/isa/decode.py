"""Decode one instruction word against the encoding table.

decode() returns a Decoded for every word in the table and raises IllegalInstruction
for any other word: the simulator turns that into an illegal-instruction exception.
A 16-bit (compressed, low bits != 0b11) encoding raises CompressedInstruction, a
subclass, so that it can be reported as such: Snitch has no C extension.
"""

import functools
from dataclasses import dataclass

from .encoding import ENCODINGS, FORMATS, Encoding


class IllegalInstruction(Exception):
    """The word is not a valid instruction. `word` is the word, `reason` says why."""

    def __init__(self, word: int, reason: str = "unknown instruction", digits: int = 8):
        self.word = word
        self.reason = reason
        super().__init__(f"illegal instruction 0x{word:0{digits}x}: {reason}")


class CompressedInstruction(IllegalInstruction):
    """A 16-bit compressed encoding; `word` holds its 16 bits."""

    def __init__(self, word: int):
        reason = "16-bit compressed instruction (C extension not supported)"
        super().__init__(word & 0xFFFF, reason, 4)


@dataclass(frozen=True, slots=True)
class Decoded:
    """An instruction: its encoding and the fields its format uses (others stay 0/None).

    imm is sign-extended for I, S, B, U (value << 12) and J formats; it is the
    zero-extended shift amount, CSR uimm, frep max_inst (31:20), scfgri/scfgwi
    address (reg << 5 | dm, 31:20) or dmcpyi/dmstati 5-bit field (24:20) otherwise.
    Decoded objects are shared by the decode cache: never mutate them.
    """

    enc: Encoding
    word: int
    rd: int = 0
    rs1: int = 0
    rs2: int = 0
    rs3: int = 0
    imm: int = 0
    csr: int = 0
    rm: int | None = None  # rounding mode field, for instructions that have one
    aq: bool = False
    rl: bool = False
    pred: int = 0  # fence: predecessor set, bits I O R W
    succ: int = 0
    stagger_max: int = 0  # frep
    stagger_mask: int = 0  # frep: bit 0 rd, 1 rs1, 2 rs2, 3 rs3

    @property
    def name(self) -> str:
        return self.enc.name


def _sext(value: int, bits: int) -> int:
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def _imm(kind: str, w: int) -> int:
    if kind == "i":
        return _sext(w >> 20, 12)
    if kind == "s":
        return _sext((w >> 25) << 5 | (w >> 7) & 0x1F, 12)
    if kind == "b":
        v = (w >> 31) << 12 | (w >> 7 & 1) << 11 | (w >> 25 & 0x3F) << 5 | (w >> 8 & 0xF) << 1
        return _sext(v, 13)
    if kind == "u":
        return _sext(w & 0xFFFFF000, 32)
    if kind == "j":
        v = (w >> 31) << 20 | (w >> 12 & 0xFF) << 12 | (w >> 20 & 1) << 11 | (w >> 21 & 0x3FF) << 1
        return _sext(v, 21)
    if kind in ("shamt", "u5"):
        return w >> 20 & 0x1F
    if kind == "zimm":
        return w >> 15 & 0x1F
    if kind == "u12":
        return w >> 20
    return 0


# Encodings grouped by major opcode; the most specific mask is tried first so that a
# future overlapping entry (an alias-like special case) would win over a general one.
_BUCKETS: dict[int, tuple[Encoding, ...]] = {}
for _e in sorted(ENCODINGS, key=lambda e: -e.mask.bit_count()):
    _BUCKETS[_e.opcode] = _BUCKETS.get(_e.opcode, ()) + (_e,)


def _fields(enc: Encoding, w: int) -> Decoded:
    f = {}
    if enc.rd:
        f["rd"] = w >> 7 & 0x1F
    if enc.rs1:
        f["rs1"] = w >> 15 & 0x1F
    if enc.rs2:
        f["rs2"] = w >> 20 & 0x1F
    if enc.rs3:
        f["rs3"] = w >> 27
    kind, syntax = FORMATS[enc.fmt]
    if kind:
        f["imm"] = _imm(kind, w)
    if "rm" in syntax:
        f["rm"] = w >> 12 & 7
    if enc.fmt in ("CSR", "CSRI"):
        f["csr"] = w >> 20
    elif enc.kind == "amo":
        f["aq"], f["rl"] = bool(w >> 26 & 1), bool(w >> 25 & 1)
    elif enc.fmt == "FENCE":
        f["pred"], f["succ"] = w >> 24 & 0xF, w >> 20 & 0xF
    elif enc.fmt == "FREP":
        f["stagger_max"], f["stagger_mask"] = w >> 12 & 7, w >> 8 & 0xF
    return Decoded(enc, w, **f)


@functools.lru_cache(maxsize=None)
def decode(word: int) -> Decoded:
    """Decode a 32-bit instruction word (unsigned). Cached: repeated words are O(1).

    Raises CompressedInstruction for 16-bit encodings and IllegalInstruction for
    words matching no encoding or using a reserved rounding mode (5 or 6).
    """
    if word & 3 != 3:
        raise CompressedInstruction(word)
    for enc in _BUCKETS.get(word & 0x7F, ()):
        if word & enc.mask == enc.match:
            d = _fields(enc, word)
            if d.rm in (5, 6):
                raise IllegalInstruction(word, f"reserved rounding mode {d.rm} in {enc.name}")
            return d
    raise IllegalInstruction(word)
