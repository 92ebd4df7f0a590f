"""Load-time rewriting of the system instructions the simulator must serve itself.

QEMU executes `csrr a0, mhartid`, `csrr a0, mcycle`, `wfi`, the PMP CSRs, ... with its own
meaning (hart 0 everywhere, host ticks, a halt, its PMP check), and it implements supervisor
mode, which Snitch has not (the S-mode CSRs, `sret` and `sfence.vma` must be illegal). Each
such word in an executable section is replaced by TRAP_WORD, which QEMU rejects as an illegal
instruction; the fast hart then executes the original word (kept in the returned map) in Python.
So are fmin/fmax/fma, which QEMU 5 computes against the RISC-V rule (fp_served.py), and
words whose two low bits are not 11: QEMU's CPU has the C extension and would run them
as 16-bit instructions, on Snitch they are illegal.

Executable sections are assumed to hold instructions only (GCC puts no data there): a load
from a patched word reads TRAP_WORD, not the original.
"""

import numpy as np

from .. import privileged as pv
from ..elf import Program
from ..memory import Memory
from ..sim_csrs import TRAPPED_CSRS
from .fp_served import served_fp_mask

# custom-3 major opcode, unused by Snitch: always an illegal instruction for QEMU.
TRAP_WORD = 0x0000_007B

_SERVED = np.array(sorted(TRAPPED_CSRS), dtype=np.uint32)


def patch_system_instructions(memory: Memory, program: Program) -> dict[int, int]:
    originals: dict[int, int] = {}
    for start, end in program.code_ranges:
        start_aligned = (start + 3) & ~3
        loc = memory.locate(start_aligned, end - start_aligned)
        if loc is None:
            continue
        buf, off = loc
        count = (end - start_aligned) // 4
        words = buf[off : off + 4 * count].view(np.uint32)
        is_csr = ((words & 0x7F) == pv.OPCODE_SYSTEM) & ((words >> 12) & 7 != 0) & ((words >> 12) & 7 != 4)
        served = is_csr & np.isin(words >> 20, _SERVED)
        served |= (words & 3) != 3
        served |= (words == pv.WFI) | (words == pv.EBREAK) | (words == pv.SRET)
        served |= (words & pv.SFENCE_VMA_MASK) == pv.SFENCE_VMA
        served |= served_fp_mask(words)
        for index in np.flatnonzero(served):
            originals[start_aligned + 4 * int(index)] = int(words[index])
        words[served] = TRAP_WORD
    return originals
