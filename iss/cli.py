"""`iss`: build firmware and run ELF programs on the simulated Snitch cluster."""

import argparse
import os
import sys
from pathlib import Path

from .errors import SimError


def _run(args) -> int:
    from .cluster import Cluster
    from .config import ClusterConfig

    config = ClusterConfig(
        cores=args.cores,
        l1_kib=args.l1_kib,
        max_cycles=args.max_cycles,
        timeout_s=args.timeout,
        freq_mhz=args.freq_mhz,
        engine=args.engine,
        check_alignment=args.check_alignment,
        strict=args.strict,
    )
    if args.lockstep:
        return _lockstep(args, config)
    trace = (args.trace, args.trace_filter) if args.trace else None
    if args.trace_filter and not args.trace:
        raise SimError("--trace-filter needs --trace DIR")
    cluster = Cluster(args.program, config, trace=trace)
    report = cluster.run()
    if args.report == "json":
        text = report.to_json()
        if args.report_file:
            Path(args.report_file).write_text(text + "\n")
        else:
            sys.stderr.write(text + "\n")
    elif args.report == "text":
        sys.stderr.write(report.to_text() + "\n")
    return report.exit_code


def _lockstep(args, config) -> int:
    from .elf import load_program
    from .lockstep import run_lockstep

    result = run_lockstep(load_program(args.program), config, sink=sys.stdout)
    sys.stderr.write(
        f"lockstep: {result.steps} instructions, fast and detailed engines agree "
        f"(per hart: {', '.join(map(str, result.instructions))}); exit code {result.exit_code}\n"
    )
    return result.exit_code


def _build(args) -> int:
    from toolchain import build_program

    out = build_program(args.sources, args.output, opt=args.opt, include_dirs=args.include, defines=args.define)
    print(out)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iss", description="Snitch cluster instruction-set simulator")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run an ELF on the cluster")
    r.add_argument("program", help="32-bit RISC-V ELF")
    r.add_argument("--cores", type=int, default=8, help="compute cores 1..8 (the DMA core is added)")
    r.add_argument("--l1-kib", type=int, default=128, help="L1 TCDM size in KiB")
    r.add_argument("--max-cycles", type=int, default=None, help="stop with an error after this many cycles")
    r.add_argument("--timeout", type=float, default=None, help="stop with an error after this many seconds")
    r.add_argument("--freq-mhz", type=float, default=500.0, help="clock for the time in the report")
    r.add_argument(
        "--engine",
        choices=["fast", "detailed"],
        default="fast",
        help="fast: Unicorn JIT, 1 cycle per instruction; detailed: pure Python with the timing model",
    )
    r.add_argument(
        "--no-check-alignment",
        dest="check_alignment",
        action="store_false",
        help="let misaligned loads/stores succeed instead of trapping (much faster fast engine)",
    )
    r.add_argument(
        "--strict",
        action="store_true",
        help="stop with an error when a DMA/ITA destination is used before its transfer or job has completed",
    )
    r.add_argument("--report", choices=["text", "json", "none"], default="text", help="run report on stderr")
    r.add_argument("--lockstep", action="store_true", help="run fast and detailed engines side by side, stop at the first difference")
    r.add_argument("--trace", metavar="DIR", help="write one trace log per hart (PLATFORM.md section 8) into DIR")
    r.add_argument("--trace-filter", metavar="START:END|SYMBOL", help="trace only this pc range or function")
    r.add_argument("--report-file", help="with --report json: write the report to this file")
    r.set_defaults(func=_run)

    b = sub.add_parser("build", help="compile C/assembly with the cluster runtime into an ELF")
    b.add_argument("sources", nargs="+")
    b.add_argument("-o", "--output", required=True)
    b.add_argument("-O", dest="opt", default="2", type=lambda s: f"-O{s}")
    b.add_argument("-I", dest="include", action="append", default=[])
    b.add_argument("-D", dest="define", action="append", default=[])
    b.set_defaults(func=_build)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SimError as exc:
        sys.stdout.flush()
        print(f"iss: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except BrokenPipeError:  # e.g. `iss run x.elf | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("iss: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
