"""Program output written through SIM_PUTCHAR: line by line, per hart."""

import sys


class HartOutput:
    """Collects each hart's bytes into lines, shown as they complete. PLATFORM.md section 3 asks
    for a hart prefix when more than one hart prints; to stream output, lines of hart 0 are
    shown bare until another hart has printed, and every other line carries `[hart] `."""

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
        text = f"[{hart_id}] {line}" if self.printers != {0} else line
        self.sink.write(text + "\n")
        self.sink.flush()

    def flush(self) -> None:
        for hart_id, buf in sorted(self.pending.items()):
            if buf:
                self._emit(hart_id, buf.decode("utf-8", errors="replace"))
                buf.clear()

    def text(self) -> str:
        return "".join(line + "\n" for _, line in self.lines)
