"""`iss run --trace DIR`: one log per hart, one parseable line per retired instruction."""

from conftest import run_cli
from iss.trace import parse_line


def test_trace_logs_every_retired_instruction(build, tmp_path):
    elf = build("runtime/minstret.c")
    proc = run_cli("run", elf, "--cores", "2", "--trace", tmp_path, "--report", "json", "--report-file", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    import json

    report = json.loads((tmp_path / "r.json").read_text())
    for hart in report["harts"]:
        lines = (tmp_path / f"hart_{hart['hart']}.log").read_text().splitlines()
        records = [parse_line(line) for line in lines]
        assert len(records) == hart["instructions"]  # no filter: every retired instruction
        assert [r.instret for r in records] == list(range(1, hart["instructions"] + 1))
        assert all(r.hart == hart["hart"] for r in records)
        assert all(b.cycle > a.cycle for a, b in zip(records, records[1:]))
    text = (tmp_path / "hart_0.log").read_text()
    assert "li a5,1000  # a5=0x000003e8" in text
    assert " sw " in text and " st 0x" in text  # stores show address=value
    assert " lw " in text and " ld 0x" in text


def test_trace_filter_by_symbol(build, tmp_path):
    elf = build("runtime/minstret.c")
    proc = run_cli("run", elf, "--cores", "1", "--trace", tmp_path, "--trace-filter", "main", "--report", "none")
    assert proc.returncode == 0, proc.stderr
    records = [parse_line(line) for line in (tmp_path / "hart_0.log").read_text().splitlines()]
    from iss.elf import load_program

    program = load_program(elf)
    start, size = program.symbols["main"], program.symbol_sizes["main"]
    assert records and all(start <= r.pc < start + size for r in records)
    assert sum(r.disassembly.startswith("addi a5,a5,-1") for r in records) == 2000


def test_trace_filter_errors_are_one_line(build, tmp_path):
    elf = build("runtime/minstret.c")
    proc = run_cli("run", elf, "--trace", tmp_path, "--trace-filter", "no_such_function")
    assert proc.returncode != 0
    assert proc.stderr.strip().startswith("iss: error: --trace-filter 'no_such_function': no such symbol")
    assert "Traceback" not in proc.stderr
