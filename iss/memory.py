"""The cluster's RAM: L1 (TCDM) and L2, as numpy buffers shared by every hart and engine."""

import numpy as np

from .config import ClusterConfig
from .elf import Program
from .errors import BadInputError
from .memmap import L1_BASE, L2_BASE


class Memory:
    def __init__(self, config: ClusterConfig):
        self.l1 = np.zeros(config.l1_bytes, dtype=np.uint8)
        self.l2 = np.zeros(config.l2_bytes, dtype=np.uint8)
        self.regions = [("L1", L1_BASE, self.l1), ("L2", L2_BASE, self.l2)]

    def locate(self, address: int, size: int = 1):
        """(buffer, offset) for [address, address+size) inside one RAM region, else None."""
        for _, base, buf in self.regions:
            if base <= address and address + size <= base + buf.size:
                return buf, address - base
        return None

    def read(self, address: int, size: int) -> bytes:
        loc = self.locate(address, size)
        if loc is None:
            raise IndexError(f"0x{address:08x}+{size} is not RAM")
        buf, off = loc
        return buf[off : off + size].tobytes()

    def write(self, address: int, data: bytes) -> None:
        loc = self.locate(address, len(data))
        if loc is None:
            raise IndexError(f"0x{address:08x}+{len(data)} is not RAM")
        buf, off = loc
        buf[off : off + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def read_u32(self, address: int) -> int:
        return int.from_bytes(self.read(address, 4), "little")

    def write_u32(self, address: int, value: int) -> None:
        self.write(address, (value & 0xFFFF_FFFF).to_bytes(4, "little"))

    def load(self, program: Program) -> None:
        for seg in program.segments:
            if self.locate(seg.address, seg.mem_size) is None:
                raise BadInputError(
                    f"{program.path}: segment at 0x{seg.address:08x} (+{seg.mem_size} B) "
                    "does not fit L1 or L2 of this configuration"
                )
            self.write(seg.address, seg.data)
            if seg.mem_size > len(seg.data):
                self.write(seg.address + len(seg.data), bytes(seg.mem_size - len(seg.data)))
