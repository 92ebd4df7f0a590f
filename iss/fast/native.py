"""Native (numba) Unicorn hooks: exact per-hart instruction counts at JIT speed, and the
misaligned-access check.

A Python UC_HOOK_BLOCK costs ~40x the emulation itself. This hook is a C-callable function
compiled by numba and registered through Unicorn's C API. At each translated block's entry it
adds the block's instruction count to the hart's counter and stops the emulation when the
quantum's budget is reached; Unicorn then stops *before* running that block, so the caller
subtracts the last block's length (see FastHart.run).

Counter layout (numpy int64[COUNTERS_LEN], one per hart):
  [INSTRET] instructions counted so far, [BUDGET] stop when INSTRET >= BUDGET,
  [BLOCK_PC] start of the last block entered, [BLOCK_LEN] its length in instructions,
  [FETCH_MISALIGNED] 0, or the address of a block that was about to start at an address that
  is not a multiple of 4 (then the hook stopped the emulation without counting it).
Snitch has no compressed instructions (the ELF loader rejects RVC), so length = bytes / 4.
QEMU's CPU model does have the C extension, so it happily jumps to pc = 2 mod 4 and runs
16-bit instructions there; Snitch raises instruction-address-misaligned on the jump instead.
The check shares the budget test's branch.
"""

import ctypes

import numpy as np
from numba import carray, cfunc, types
from unicorn.unicorn_py3 import unicorn as _uc

from unicorn.riscv_const import UC_RISCV_REG_PC
from unicorn.unicorn_const import UC_HOOK_BLOCK, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE

INSTRET, BUDGET, BLOCK_PC, BLOCK_LEN, FETCH_MISALIGNED = range(5)
COUNTERS_LEN = 5

_emu_stop = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)(
    ctypes.cast(_uc.uclib.uc_emu_stop, ctypes.c_void_p).value
)

_BLOCK_HOOK_SIG = types.void(types.voidptr, types.uint64, types.uint32, types.voidptr)


@cfunc(_BLOCK_HOOK_SIG, nopython=True)
def _count_block(uc_handle, address, size, counters_ptr):
    counters = carray(counters_ptr, COUNTERS_LEN, np.int64)
    length = size >> 2
    prev_pc = counters[2]
    prev_len = counters[3]
    counters[0] += length
    counters[2] = address
    counters[3] = length
    # One branch on the hot path (measured: a separate test for the alignment costs ~5%).
    if (counters[0] >= counters[1]) | ((address & 3) != 0):
        if address & 3:  # not run, not counted: the last block stays the one that jumped here
            counters[0] -= length
            counters[2] = prev_pc
            counters[3] = prev_len
            counters[4] = address
        _emu_stop(uc_handle)


def new_counters() -> np.ndarray:
    return np.zeros(COUNTERS_LEN, dtype=np.int64)


def add_block_counter(uc, counters: np.ndarray) -> None:
    """Attach the native counting hook to `uc`, updating `counters` (kept alive by the caller)."""
    attach_native_hook(uc, UC_HOOK_BLOCK, _count_block, counters)


# -- alignment check --------------------------------------------------------------------------
#
# QEMU performs misaligned loads and stores silently; Snitch raises an address-misaligned
# exception (PLATFORM.md section 1). This native UC_HOOK_MEM_READ|UC_HOOK_MEM_WRITE hook sees
# every data access (Unicorn calls it before the access) and, when `address` is not a
# multiple of `size`, records the access and stops the emulation. FastHart then takes the
# exception (or reports the error).
#
# What Unicorn does after uc_emu_stop inside the hook (measured with Unicorn 2.1.4):
#  - a load is abandoned: its destination register keeps its old value;
#  - a store is still performed. So for a store to RAM the hook first saves the bytes the
#    store will overwrite, and FastHart puts them back; the exception is then precise. A
#    misaligned store to an MMIO page (peripherals, zero memory, the `tohost` page) has
#    already had its side effect when the exception is taken.
#
# State layout (numpy int64[ALIGN_STATE_LEN], one per hart):
#   [MA_TYPE] 0 = nothing, else the uc_mem_type (UC_MEM_READ / UC_MEM_WRITE) of the access,
#   [MA_ADDR], [MA_SIZE], [MA_PC] the access and the pc of its instruction,
#   [MA_OLD] the up-to-8 bytes a store overwrote, valid when [MA_SAVED] is 1,
#   [MA_RAM + 2*i], [MA_RAM + 2*i + 1]: [start, end) of RAM region i (L1, L2).

MA_TYPE, MA_ADDR, MA_SIZE, MA_PC, MA_OLD, MA_SAVED, MA_RAM = range(7)
ALIGN_STATE_LEN = MA_RAM + 4

_UC_MEM_WRITE = UC_MEM_WRITE  # module globals are compile-time constants for numba
_UC_RISCV_REG_PC = UC_RISCV_REG_PC

# Pointers are passed as uint64 (same calling convention as void * on the 64-bit hosts we run on).
_reg_read = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64)(
    ctypes.cast(_uc.uclib.uc_reg_read, ctypes.c_void_p).value
)
_mem_read = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64)(
    ctypes.cast(_uc.uclib.uc_mem_read, ctypes.c_void_p).value
)

_MEM_HOOK_SIG = types.void(types.voidptr, types.int32, types.uint64, types.int32, types.int64, types.voidptr)


@cfunc(_MEM_HOOK_SIG, nopython=True)
def _check_alignment(uc_handle, access, address, size, value, state_ptr):
    if address & (size - 1) == 0:
        return
    state = carray(state_ptr, ALIGN_STATE_LEN, np.int64)
    if state[MA_TYPE] != 0:
        return  # already stopping
    state[MA_TYPE] = access
    state[MA_ADDR] = address
    state[MA_SIZE] = size
    state[MA_SAVED] = 0
    base = state.ctypes.data
    _reg_read(uc_handle, _UC_RISCV_REG_PC, base + 8 * MA_PC)
    if access == _UC_MEM_WRITE:
        for i in range(2):
            if state[MA_RAM + 2 * i] <= address and address + size <= state[MA_RAM + 2 * i + 1]:
                state[MA_OLD] = 0
                if _mem_read(uc_handle, address, base + 8 * MA_OLD, size) == 0:
                    state[MA_SAVED] = 1
    _emu_stop(uc_handle)


def new_alignment_state(ram_regions: list[tuple[int, int]]) -> np.ndarray:
    """State for one hart; `ram_regions` are the [start, end) of the RAM a store may be undone in."""
    state = np.zeros(ALIGN_STATE_LEN, dtype=np.int64)
    for i, (start, end) in enumerate(ram_regions[:2]):
        state[MA_RAM + 2 * i], state[MA_RAM + 2 * i + 1] = start, end
    return state


def attach_native_hook(uc, hook_type: int, callback, state: np.ndarray) -> None:
    """Register the numba cfunc `callback` as a Unicorn hook of `hook_type` on every address,
    with `state` (kept alive by the caller) as its user data: through Unicorn's C API, since
    the Python binding only takes Python callables."""
    handle = _uc.uc_hook_h()
    err = _uc.uclib.uc_hook_add(
        uc._uch,
        ctypes.byref(handle),
        hook_type,
        ctypes.c_void_p(callback.address),
        ctypes.c_void_p(state.ctypes.data),
        ctypes.c_uint64(1),
        ctypes.c_uint64(0),
    )
    if err:
        raise RuntimeError(f"uc_hook_add failed with Unicorn error {err}")


def add_alignment_check(uc, state: np.ndarray) -> None:
    """Attach the native misaligned-access hook to `uc`, recording into `state` (kept alive by the caller)."""
    attach_native_hook(uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, _check_alignment, state)
