"""The C spelling of a tensor's numpy element type (generated code: codegen, tiling_codegen)."""

from __future__ import annotations

import numpy as np

CTYPES = {
    "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t",
    "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t", "uint64": "uint64_t",
}  # fmt: skip


def ctype(dtype) -> str:
    return CTYPES[str(np.dtype(dtype))]
