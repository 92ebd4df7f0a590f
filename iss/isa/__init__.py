"""Instruction set: one encoding table, a cached decoder and an objdump-style disassembler."""

from .csrs import CSR_NAMES, CSR_NUMBERS, CSRS, csr_name
from .decode import CompressedInstruction, Decoded, IllegalInstruction, decode
from .disasm import disassemble
from .encoding import BY_NAME, ENCODINGS, FORMATS, Encoding
from .regnames import FREG_NAMES, XREG_NAMES

__all__ = [
    "BY_NAME", "CSRS", "CSR_NAMES", "CSR_NUMBERS", "ENCODINGS", "FORMATS", "FREG_NAMES",
    "XREG_NAMES", "CompressedInstruction", "Decoded", "Encoding", "IllegalInstruction",
    "csr_name", "decode", "disassemble",
]  # fmt: skip
