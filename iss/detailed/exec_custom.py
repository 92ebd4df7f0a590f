"""Snitch custom extensions not implemented yet in this engine (Xfrep and Xssr: exec_snitch.py).

Each mnemonic of these extensions in the encoding table gets an executor that raises an
illegal-instruction exception naming the instruction. Replacing one of them with a real
executor (a builder registered with @executes, as in exec_int.py) implements it.
"""

from ..isa import ENCODINGS
from .common import executes, illegal

CUSTOM_EXTENSIONS = ()  # Xfrep and Xssr: exec_snitch.py; Xdma: exec_dma.py


def _not_yet(h, d, pc):
    fault = illegal(d, f"illegal instruction ({d.name}, {d.enc.ext}: not implemented yet in the detailed engine)")

    def run(n):
        raise fault

    return run


executes(*(e.name for e in ENCODINGS if e.ext in CUSTOM_EXTENSIONS))(_not_yet)
