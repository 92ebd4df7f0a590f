"""The detailed engine: a pure-Python hart with the timing model of PLATFORM.md section 6.

Files: hart.py (state, run loop, traps), translate.py (pc -> cached closure), common.py
(executor registry, Fault/Stop), exec_int.py (RV32I/M computation, branches, jumps),
exec_mem.py (loads, stores, atomics), exec_system.py (Zicsr, ecall/ebreak/mret/wfi, fences),
exec_fp.py (F, D), exec_custom.py (Xfrep/Xssr/Xdma placeholders), csrfile.py (CSRs),
access.py (RAM views, L2 latency, MMIO), timing.py (latencies, L1 bank hook).
"""

from .hart import DetailedHart

__all__ = ["DetailedHart"]
