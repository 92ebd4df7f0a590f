"""Native (numba) Unicorn block hook: exact per-hart instruction counts at JIT speed.

A Python UC_HOOK_BLOCK costs ~40x the emulation itself. This hook is a C-callable function
compiled by numba and registered through Unicorn's C API. At each translated block's entry it
adds the block's instruction count to the hart's counter and stops the emulation when the
quantum's budget is reached; Unicorn then stops *before* running that block, so the caller
subtracts the last block's length (see FastHart.run).

Counter layout (numpy int64[4], one per hart):
  [INSTRET] instructions counted so far, [BUDGET] stop when INSTRET >= BUDGET,
  [BLOCK_PC] start of the last block entered, [BLOCK_LEN] its length in instructions.
Snitch has no compressed instructions (the ELF loader rejects RVC), so length = bytes / 4.
"""

import ctypes

import numpy as np
from numba import carray, cfunc, types
from unicorn.unicorn_py3 import unicorn as _uc

from unicorn.unicorn_const import UC_HOOK_BLOCK

INSTRET, BUDGET, BLOCK_PC, BLOCK_LEN = range(4)

_emu_stop = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(
    ctypes.cast(_uc.uclib.uc_emu_stop, ctypes.c_void_p).value
)

_BLOCK_HOOK_SIG = types.void(types.voidptr, types.uint64, types.uint32, types.voidptr)


@cfunc(_BLOCK_HOOK_SIG, nopython=True)
def _count_block(uc_handle, address, size, counters_ptr):
    counters = carray(counters_ptr, 4, np.int64)
    length = size >> 2
    counters[0] += length
    counters[2] = address
    counters[3] = length
    if counters[0] >= counters[1]:
        _emu_stop(uc_handle)


def new_counters() -> np.ndarray:
    return np.zeros(4, dtype=np.int64)


def add_block_counter(uc, counters: np.ndarray) -> None:
    """Attach the native counting hook to `uc`, updating `counters` (kept alive by the caller)."""
    handle = _uc.uc_hook_h()
    err = _uc.uclib.uc_hook_add(
        uc._uch,
        ctypes.byref(handle),
        UC_HOOK_BLOCK,
        ctypes.c_void_p(_count_block.address),
        ctypes.c_void_p(counters.ctypes.data),
        ctypes.c_uint64(1),
        ctypes.c_uint64(0),
    )
    if err:
        raise RuntimeError(f"uc_hook_add failed with Unicorn error {err}")
