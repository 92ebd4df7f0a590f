"""Strict mode in the fast engine: a native (numba) memory hook over the pending-access table.

Same mechanism as the alignment check of native.py: a C-callable UC_HOOK_MEM_READ|WRITE hook
sees every data access before it happens. It compares the access with this hart's copy of the
strict-mode table (iss/strict.py: the destinations and sources DMA transfers and ITA jobs are
still using); on a hit it records the access, saves the bytes a store will overwrite, and
stops the emulation. FastHart then (collect()) puts those bytes back and asks the Guard: an
access before the completion time is an error; after it, the registration is dropped from this
hart's table and the instruction runs again. With an empty table the hook returns at once.

State layout (numpy int64[STATE_LEN], one per hart):
  [ST_TYPE] 0 or the uc_mem_type of the recorded access, [ST_ADDR], [ST_SIZE], [ST_PC],
  [ST_OLD] the bytes a store overwrote (valid when [ST_SAVED] is 1), [ST_COUNT] entries,
  [ST_RAM + 2*i], [ST_RAM + 2*i + 1]: [start, end) of RAM region i (L1, L2),
  then CAPACITY entries of 5 words: lo, hi, size, period, source (1: only stores conflict).
"""


import numpy as np
from numba import carray, cfunc
from unicorn.unicorn_const import UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE

from ..errors import ProgramError
from ..hart import HartState, Stop
from ..strict import MAX_PENDING
from .native import _MEM_HOOK_SIG, _UC_RISCV_REG_PC, _emu_stop, _mem_read, _reg_read, attach_native_hook

ST_TYPE, ST_ADDR, ST_SIZE, ST_PC, ST_OLD, ST_SAVED, ST_COUNT, ST_RAM = range(8)
HEADER = ST_RAM + 4
ENTRY = 5
CAPACITY = MAX_PENDING
STATE_LEN = HEADER + ENTRY * CAPACITY

_WRITE = UC_MEM_WRITE


@cfunc(_MEM_HOOK_SIG, nopython=True)
def _check_pending(uc_handle, access, address, size, value, state_ptr):
    state = carray(state_ptr, STATE_LEN, np.int64)
    count = state[ST_COUNT]
    if count == 0 or state[ST_TYPE] != 0:
        return
    a = np.int64(address)
    n = np.int64(size)
    store = access == _WRITE
    for i in range(count):
        b = HEADER + ENTRY * i
        lo = state[b]
        hi = state[b + 1]
        if a >= hi or a + n <= lo:
            continue
        if state[b + 4] != 0 and not store:
            continue
        a0 = a if a > lo else lo
        a1 = a + n if a + n < hi else hi
        period = state[b + 3]
        row = lo + ((a0 - lo) // period) * period
        if a0 < row + state[b + 2] or row + period < a1:
            state[ST_TYPE] = access
            state[ST_ADDR] = a
            state[ST_SIZE] = n
            state[ST_SAVED] = 0
            base = state.ctypes.data
            _reg_read(uc_handle, _UC_RISCV_REG_PC, base + 8 * ST_PC)
            if store:
                for r in range(2):
                    if state[ST_RAM + 2 * r] <= a and a + n <= state[ST_RAM + 2 * r + 1]:
                        state[ST_OLD] = 0
                        if _mem_read(uc_handle, a, base + 8 * ST_OLD, n) == 0:
                            state[ST_SAVED] = 1
            _emu_stop(uc_handle)
            return


def publish(table: np.ndarray, entries) -> None:
    """Write `entries` (iss.strict.Pending, at most CAPACITY) into a hart's table."""
    entries = list(entries)[:CAPACITY]
    for i, e in enumerate(entries):
        b = HEADER + ENTRY * i
        table[b : b + ENTRY] = (e.lo, e.hi, e.size, e.period, int(e.source))
    table[ST_COUNT] = len(entries)


def install(hart) -> np.ndarray:
    """Attach the hook to `hart`'s Unicorn and register its table with the cluster's Guard."""
    cl = hart.cluster
    state = np.zeros(STATE_LEN, dtype=np.int64)
    for i, (_, base, buf) in enumerate(cl.memory.regions[:2]):
        state[ST_RAM + 2 * i], state[ST_RAM + 2 * i + 1] = base, base + buf.size
    attach_native_hook(hart.uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, _check_pending, state)
    guard = cl.guard
    guard.publish_table = publish
    guard.tables[hart.hart_id] = state
    guard.publish(only=hart.hart_id)
    return state


def collect(hart) -> None:
    """After emu_start: handle a recorded hit (called after the alignment check's faults)."""
    st = hart.strict_state
    if not st[ST_TYPE]:
        return
    address, size, pc = int(st[ST_ADDR]), int(st[ST_SIZE]), int(st[ST_PC])
    store = int(st[ST_TYPE]) == _WRITE
    if st[ST_SAVED]:  # QEMU performed the store after the hook: undo it in RAM
        old = int(st[ST_OLD]) & ((1 << (8 * size)) - 1)
        hart.cluster.memory.write(address, old.to_bytes(size, "little"))
    st[ST_TYPE] = 0
    if hart._fault is not None:
        return  # the same access is misaligned: that exception wins, the access is redone later
    before = hart.retired_before(pc)
    try:
        hart.cluster.guard.check_hart(hart, address, size, store, before + hart.stall_cycles, pc)
    except ProgramError:
        hart.state = HartState.EXITED
        raise
    hart._stop = Stop(pc, before)  # outlived registration: run the instruction again
