"""The detailed engine: a pure-Python hart with the timing model of PLATFORM.md section 6.

Files: hart.py (state, run loop, traps), translate.py (pc -> cached closure), common.py
(executor registry, Fault/Stop), exec_int.py (RV32I/M computation, branches, jumps),
exec_mem.py (loads, stores, atomics), exec_system.py (Zicsr, ecall/ebreak/mret/wfi, fences),
exec_fp.py (F, D), exec_snitch.py (Xfrep and Xssr executors, the `ssr` CSR) with ssr.py (data
movers, stream-aware FP closures) and frep.py (the FPU sequencer), exec_dma.py (Xdma, executed
by the cluster's DmaEngine), exec_custom.py (placeholders of custom extensions not implemented),
csrfile.py (CSRs), access.py (RAM views, L2 latency, MMIO devices incl. ITA and the DMA
front-end, strict-mode checks), timing.py (latencies, L1 bank hook).
"""

from .hart import DetailedHart

__all__ = ["DetailedHart"]
