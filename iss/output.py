"""Program output written through SIM_PUTCHAR: line by line, per hart."""

import sys


class HartOutput:
    """Collects each hart's bytes into lines. A line is prefixed by its hart index once more
    than one hart has printed (PLATFORM.md section 3); before that lines are shown bare."""

    def __init__(self, sink=None):
        self.sink = sink if sink is not None else sys.stdout
        self.pending: dict[int, bytearray] = {}
        self.printers: set[int] = set()
        self.lines: list[tuple[int, str]] = []

    def put(self, hart_id: int, byte: int) -> None:
        buf = self.pending.setdefault(hart_id, bytearray())
        if byte == ord("\n"):
            self._emit(hart_id, buf.decode("utf-8", errors="replace"))
            buf.clear()
        else:
            buf.append(byte)

    def _emit(self, hart_id: int, line: str) -> None:
        self.printers.add(hart_id)
        self.lines.append((hart_id, line))
        text = f"[{hart_id}] {line}" if len(self.printers) > 1 else line
        self.sink.write(text + "\n")
        self.sink.flush()

    def flush(self) -> None:
        for hart_id, buf in sorted(self.pending.items()):
            if buf:
                self._emit(hart_id, buf.decode("utf-8", errors="replace"))
                buf.clear()

    def text(self) -> str:
        return "".join(line + "\n" for _, line in self.lines)
