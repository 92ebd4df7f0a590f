"""FP instructions the fast engine executes in Python because QEMU 5 (inside Unicorn) breaks
the RISC-V rule for them (found by lockstep fuzzing against the detailed engine):
 - fmin/fmax with a signalling NaN return the canonical NaN instead of the other operand
   (IEEE 754-2019 minimumNumber/maximumNumber, required since RISC-V F 2.2);
 - fused multiply-add of inf x 0 + quiet NaN does not raise the invalid flag.
patch.py rewrites these words to the trapping word; FastHart hands them here. The arithmetic
is the detailed engine's softfloat, so both engines agree bit for bit, flags included.
"""

import numpy as np

from .. import softfloat as sf
from ..isa import decode

OPCODE_OP_FP = 0x53
FMA_OPCODES = (0x43, 0x47, 0x4B, 0x4F)  # fmadd, fmsub, fnmsub, fnmadd
_FMINMAX_FUNCT7 = (0x14, 0x15)
_MSTATUS_FS = 3 << 13
_RM_DYN = 7
_BOX = 0xFFFF_FFFF_0000_0000
# fused ops: (negate_product, negate_addend)
_FMA_SIGNS = {0x43: (False, False), 0x47: (False, True), 0x4B: (True, False), 0x4F: (True, True)}


def served_fp_mask(words: np.ndarray) -> np.ndarray:
    """Which words of a code image are fmin/fmax/fma instructions (S or D)."""
    opcode = words & 0x7F
    fminmax = (opcode == OPCODE_OP_FP) & np.isin(words >> 25, _FMINMAX_FUNCT7) & ((words >> 12) & 7 <= 1)
    fma = np.isin(opcode, FMA_OPCODES) & ((words >> 25) & 3 <= 1)
    return fminmax | fma


def is_served_fp(word: int) -> bool:
    opcode = word & 0x7F
    if opcode == OPCODE_OP_FP:
        return (word >> 25) in _FMINMAX_FUNCT7 and (word >> 12) & 7 <= 1
    return opcode in FMA_OPCODES and (word >> 25) & 3 <= 1


class FpIllegal(Exception):
    """FPU off or an invalid rounding mode: illegal instruction."""


def execute_served_fp(read_f, write_f, fcsr: int, mstatus: int, word: int) -> int:
    """Execute one served FP instruction. read_f(n)/write_f(n, bits) access the 64-bit FP
    registers; returns the new fcsr. Raises FpIllegal for an illegal instruction."""
    if mstatus & _MSTATUS_FS == 0:
        raise FpIllegal("FPU off (mstatus.FS = 0)")
    d = decode(word)
    double = (word >> 25) & 1 if word & 0x7F == OPCODE_OP_FP else (word >> 25) & 3
    fmt = sf.F64 if double else sf.F32
    mask = (1 << 64) - 1 if double else 0xFFFF_FFFF

    def operand(n):
        return read_f(n) & mask

    if word & 0x7F == OPCODE_OP_FP:
        op = sf.max_ if (word >> 12) & 1 else sf.min_
        result, flags = op(fmt, operand(d.rs1), operand(d.rs2))
    else:
        rm = (word >> 12) & 7
        if rm == _RM_DYN:
            rm = (fcsr >> 5) & 7
        if rm > 4:
            raise FpIllegal(f"invalid rounding mode {rm}")
        neg_product, neg_addend = _FMA_SIGNS[word & 0x7F]
        result, flags = sf.fma(fmt, operand(d.rs1), operand(d.rs2), operand(d.rs3), rm, neg_product, neg_addend)
    write_f(d.rd, result if double else result | _BOX)
    return (fcsr | flags) & 0xFF
