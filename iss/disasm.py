"""One-line description of an instruction for messages: disassembly plus raw word."""


def describe_instruction(word: int | None, pc: int | None = None) -> str:
    if word is None:
        return "<unreadable>"
    try:
        from .isa import disassemble

        text = disassemble(word, pc)
    except Exception:  # the table may not know the word; the raw word still tells
        text = ".word"
    return f"{text} [0x{word:08x}]"
