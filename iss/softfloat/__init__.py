"""Bit-exact RISC-V F/D floating point (IEEE 754 binary32/binary64) in pure Python.

Values are raw bit patterns (Python ints), `fmt` is F32 or F64, `rm` a concrete rounding mode
0..4 (the caller resolves DYN). Every operation returns (result, fflags). RISC-V rules: NaN
results are the canonical NaN, signalling NaN operands raise NV, tininess is detected after
rounding, fmin/fmax are IEEE 754-2019 minimumNumber/maximumNumber, fcvt to integer saturates.
"""

from .compare import classify, eq, le, lt, max_, min_
from .convert import convert, from_int, to_int
from .formats import DZ, F32, F64, NV, NX, OF, RDN, RMM, RNE, RTZ, RUP, UF, Format
from .ops import add, div, fma, mul, sqrt, sub

__all__ = [
    "RNE", "RTZ", "RDN", "RUP", "RMM", "NX", "UF", "OF", "DZ", "NV", "F32", "F64", "Format",
    "add", "sub", "mul", "div", "sqrt", "fma", "min_", "max_", "eq", "lt", "le", "classify",
    "to_int", "from_int", "convert",
]
