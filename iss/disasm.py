"""One-line description of an instruction for messages: disassembly plus raw word."""

from .isa import disassemble


def describe_instruction(word: int | None, pc: int | None = None) -> str:
    if word is None:
        return "<unreadable>"
    return f"{disassemble(word, pc)} [0x{word:08x}]"
