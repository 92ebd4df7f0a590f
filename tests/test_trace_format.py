"""The trace line format of PLATFORM.md section 8, written and read back."""

from iss.trace import MemAccess, TraceRecord, format_line, parse_line


def test_platform_example_line():
    rec = TraceRecord(1042, 987, 3, 0x80000124, 0x02D70733, "mul a4,a4,a3", (("a4", 0x12C),))
    assert format_line(rec) == "    1042      987 3 0x80000124 0x02d70733 mul a4,a4,a3  # a4=0x0000012c"
    assert parse_line(format_line(rec)) == rec


def test_memory_access_notes_round_trip():
    rec = TraceRecord(7, 5, 0, 0x80000010, 0x0005A503, "lw a0,0(a1)", (("a0", 0xFFFFFFFF),), (MemAccess("ld", 0x10000000, 0xFFFFFFFF),))
    line = format_line(rec)
    assert line.endswith("# a0=0xffffffff ld 0x10000000=0xffffffff")
    assert parse_line(line) == rec
    store = TraceRecord(8, 6, 1, 0x80000014, 0x00B52023, "sw a1,0(a0)", (), (MemAccess("st", 0x10000004, 3),))
    assert parse_line(format_line(store)) == store
    bare = TraceRecord(9, 7, 1, 0x80000018, 0x00000013, "nop")
    assert format_line(bare) == "       9        7 1 0x80000018 0x00000013 nop"
    assert parse_line(format_line(bare)) == bare
