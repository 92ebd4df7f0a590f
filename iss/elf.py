"""Reading a program: a 32-bit little-endian RISC-V ELF, via pyelftools."""

import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from .errors import BadInputError

EM_RISCV = 243
EF_RISCV_RVC = 0x1


@dataclass(frozen=True)
class Segment:
    address: int
    data: bytes
    mem_size: int  # >= len(data); the rest is zero-filled


@dataclass
class Program:
    path: Path
    entry: int
    segments: list[Segment]
    code_ranges: list[tuple[int, int]]  # [start, end) of executable sections
    symbols: dict[str, int] = field(default_factory=dict)
    symbol_sizes: dict[str, int] = field(default_factory=dict)

    def symbol_at(self, address: int) -> str | None:
        """Name of the function containing `address` as `name+0xoff`, if known."""
        best = None
        for name, start in self.symbols.items():
            size = self.symbol_sizes.get(name, 0)
            if start <= address < start + max(size, 1) and (best is None or start > best[1]):
                best = (name, start)
        if best is None:
            return None
        off = address - best[1]
        return best[0] if off == 0 else f"{best[0]}+0x{off:x}"


def load_program(path: str | Path) -> Program:
    path = Path(path)
    if not path.exists():
        raise BadInputError(f"{path}: no such file")
    if not path.is_file():
        raise BadInputError(f"{path}: not a file")
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            return _read(path, elf)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ELFError, ConstructError, ValueError, EOFError, struct.error) as exc:  # corrupt or truncated file
        raise BadInputError(f"{path}: not an ELF file ({exc})") from None


def _read(path: Path, elf: ELFFile) -> Program:
    if elf.elfclass != 32 or not elf.little_endian:
        raise BadInputError(f"{path}: not a 32-bit little-endian ELF (class {elf.elfclass})")
    if elf["e_machine"] not in ("EM_RISCV", EM_RISCV):
        raise BadInputError(f"{path}: not a RISC-V ELF (machine {elf['e_machine']})")
    if elf["e_flags"] & EF_RISCV_RVC:
        raise BadInputError(
            f"{path}: built with compressed instructions (RVC); Snitch has none: compile with -march=rv32imafd"
        )
    segments = []
    for seg in elf.iter_segments():
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        segments.append(Segment(seg["p_paddr"], seg.data()[: seg["p_filesz"]], seg["p_memsz"]))
    code_ranges = [
        (s["sh_addr"], s["sh_addr"] + s["sh_size"])
        for s in elf.iter_sections()
        if s["sh_flags"] & SH_FLAGS.SHF_EXECINSTR and s["sh_size"]
    ]
    symbols, sizes = {}, {}
    for sec in elf.iter_sections():
        if not isinstance(sec, SymbolTableSection):
            continue
        for sym in sec.iter_symbols():
            if sym.name.startswith("$"):
                continue  # mapping symbols ($x, $d) mark code and data, they name nothing
            if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE"):
                if sym["st_shndx"] != "SHN_UNDEF":
                    symbols[sym.name] = sym["st_value"]
                    sizes[sym.name] = sym["st_size"]
    return Program(path, elf["e_entry"], segments, code_ranges, symbols, sizes)
