"""`deploy run MODEL ...`: deploy a network onto the simulated cluster, run it, report per layer.

MODEL is an ONNX file, a folder in Deeploy's test layout (network.onnx, inputs.npz,
outputs.npz: the outputs are checked against outputs.npz too), or a zoo name (tiny, mobilebert,
dinov2, whisper, or any name of deploy.models.ZOO). The simulated outputs are always compared
with the golden executor, bit for bit; the exit status is 0 if every check passes, 1 if an
output differs, 2 on an error (one line `deploy: error: ...`).

Progress goes to stderr, the table and the checks to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from deploy.errors import DeployError
from deploy.lowering.engines import ITA_SOFTMAX_VARIANTS

ZOO_ALIASES = {"dinov2": "dinov2_vits14", "whisper": "whisper_tiny_encoder"}


class CliError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy", description="Deployment flow for the Snitch cluster + ITA."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="deploy a network, simulate it and print the per-layer table",
        description="Lower MODEL onto the cluster's kernels, generate and compile C, simulate it, print cycles "
        "per layer and check the outputs against the golden executor bit for bit.",
    )
    run.add_argument("model", help="ONNX file, Deeploy test folder, or zoo name (tiny, mobilebert, dinov2, whisper)")
    run.add_argument("--inputs", metavar="X.npz", help="input data (arrays by graph input name, else in order)")
    run.add_argument("--expect", metavar="Y.npz", help="expected outputs (by output name, else in order)")
    run.add_argument("--no-ita", action="store_true", help="map everything onto the cores (the paper's baseline cluster)")
    run.add_argument("--ita-softmax", choices=ITA_SOFTMAX_VARIANTS, default="ita-paper",
                     help="softmax the simulated ITA computes (default ita-paper: the RTL at the paper's time); a "
                     "graph softmax of another variant runs on the cores")  # fmt: skip
    run.add_argument("--seq", type=int, help="zoo models: tokens (padded to a multiple of 64)")
    run.add_argument("--layers", type=int, help="zoo models: number of encoder layers")
    run.add_argument("--seed", type=int, default=0, help="zoo models: weight seed; ONNX files: random input seed")
    run.add_argument("--cores", type=int, default=8, help="compute cores (1..8; default 8)")
    run.add_argument("--freq-mhz", type=float, default=500.0, help="clock for time and GOp/s (default 500)")
    run.add_argument("--json", metavar="OUT", help="also write the report as JSON")
    run.add_argument("--workdir", metavar="DIR", help="keep the generated C, the ELF and the plan here")
    run.add_argument("--engine", choices=("fast", "detailed"), default="fast", help="simulator engine")
    run.add_argument("--no-tiling", action="store_true",
                     help="the cores read operands in L2 in place instead of tile by tile through L1 (for comparison)")
    run.add_argument("--l1-kib", type=int, default=128, help="L1 size in KiB (4..128, default 128): stacks, activations if "
                     "they fit, and the work region the tiles go through")  # fmt: skip
    run.add_argument("--placement", choices=("auto", "l1", "l2"), default="auto",
                     help="where activations live (auto: L1 if they fit)")  # fmt: skip
    run.add_argument("--no-check-alignment", action="store_true",
                     help="let the fast engine skip its misaligned-access check (several times faster)")  # fmt: skip
    return parser


def _say(text: str) -> None:
    print(f"deploy: {text}", file=sys.stderr, flush=True)


def _npz(path: str) -> dict[str, np.ndarray]:
    from deploy.integers import to_int64

    try:
        with np.load(path) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError) as error:
        raise CliError(f"{path}: cannot read npz ({error})") from None
    try:
        return {name: to_int64(values) for name, values in arrays.items()}
    except ValueError as error:
        raise CliError(f"{path}: {error}") from None


def _match(arrays: dict[str, np.ndarray], names: list[str], path: str, what: str) -> dict[str, np.ndarray]:
    """Arrays by name when every name is there, else by position (Deeploy's convention)."""
    if all(name in arrays for name in names):
        return {name: arrays[name] for name in names}
    values = list(arrays.values())
    if len(values) < len(names):
        raise CliError(f"{path}: {len(values)} arrays for {len(names)} graph {what}s")
    return dict(zip(names, values))


def _load(args) -> tuple[str, object, dict, dict]:
    """(description, graph, inputs, expected outputs or {})."""
    from deploy.conformance import load_conformance_case
    from deploy.models import ZOO, build_model
    from deploy.onnx_import import import_model

    path = Path(args.model)
    zoo_name = ZOO_ALIASES.get(args.model, args.model)
    if not path.exists() and zoo_name not in ZOO:
        names = ", ".join(["tiny", "mobilebert", "dinov2", "whisper", *[n for n in ZOO if n not in ("tiny", "mobilebert")]])
        raise CliError(f"{args.model}: no such file or folder, and not a zoo model ({names})")
    if (args.seq is not None or args.layers is not None) and path.exists():
        raise CliError("--seq and --layers apply to zoo models only")
    given = _npz(args.inputs) if args.inputs else None
    expected: dict = {}
    if not path.exists():
        _say(f"building zoo model '{zoo_name}'" + (f" (seq {args.seq})" if args.seq else "") + (f" ({args.layers} layers)" if args.layers else ""))
        try:
            model, inputs = build_model(zoo_name, seq=args.seq, seed=args.seed, layers=args.layers)
        except ValueError as error:
            raise CliError(f"{zoo_name}: {error}") from None
        graph = import_model(model, zoo_name)
        description = f"zoo model {zoo_name}"
    elif path.is_dir():
        if not (path / "network.onnx").is_file():
            raise CliError(f"{path}: no network.onnx in this folder")
        if (path / "inputs.npz").is_file() and (path / "outputs.npz").is_file():
            _say(f"loading {path} (Deeploy test layout)")
            case = load_conformance_case(path)
            graph, inputs, expected = case.graph, case.inputs, case.expected
        else:
            graph, inputs = _load_onnx(path / "network.onnx", given, args.seed)
        description = str(path)
    else:
        graph, inputs = _load_onnx(path, given, args.seed)
        description = str(path)
    if given is not None:
        inputs = _match(given, graph.inputs, args.inputs, "input")
    if args.expect:
        expected = _match(_npz(args.expect), graph.outputs, args.expect, "output")
    return description, graph, inputs, {name: _typed(graph.tensor(name), values, args.expect or "outputs.npz")
                                        for name, values in expected.items()}  # fmt: skip


def _typed(tensor, values: np.ndarray, source: str) -> np.ndarray:
    """Expected data as the output tensor's type (npz files often hold int64)."""
    from deploy.integers import fits

    values = np.asarray(values)
    if values.size != tensor.size or not fits(values, tensor.dtype):
        raise CliError(f"{source}: output '{tensor.name}' data does not fit {tensor.dtype}{list(tensor.shape)}")
    return values.astype(tensor.dtype).reshape(tensor.shape)


def _load_onnx(path: Path, given: dict | None, seed: int):
    import onnx
    from onnx import helper

    from deploy.integers import minimal_integer_dtype
    from deploy.onnx_import import graph_input_names, load_onnx

    names = graph_input_names(path)
    dtypes = {}
    if given is not None:
        declared = {v.name: v.type.tensor_type.elem_type for v in onnx.load(str(path), load_external_data=False).graph.input}
        arrays = _match(given, names, "--inputs", "input")
        for name in names:
            dtype = helper.tensor_dtype_to_np_dtype(declared[name]) if declared.get(name) else None
            if dtype is None or dtype.kind not in "iu":
                dtypes[name] = minimal_integer_dtype(arrays[name])
    _say(f"loading {path}")
    graph = load_onnx(path, dtypes)
    if given is not None:
        return graph, _match(given, graph.inputs, "--inputs", "input")
    _say(f"no --inputs: random inputs (seed {seed})")
    rng = np.random.default_rng(seed)
    inputs = {}
    for name in graph.inputs:
        tensor = graph.tensor(name)
        info = np.iinfo(tensor.dtype)
        inputs[name] = rng.integers(max(info.min, -128), min(info.max, 255), size=tensor.shape, endpoint=True).astype(tensor.dtype)
    return graph, inputs


def run(args) -> int:
    from deploy.flow import DeployOptions, compare, deploy_and_run
    from deploy.report import format_report, ita_note, report_json

    options = DeployOptions(
        cores=args.cores,
        engine=args.engine,
        check_alignment=not args.no_check_alignment,
        placement=args.placement,
        freq_mhz=args.freq_mhz,
        ita=not args.no_ita,
        ita_softmax=args.ita_softmax,
        tiling=not args.no_tiling,
        l1_kib=args.l1_kib,
    )
    if not 1 <= args.cores <= 8:
        raise CliError(f"--cores must be 1..8, got {args.cores}")
    if args.freq_mhz <= 0:
        raise CliError("--freq-mhz must be positive")
    description, graph, inputs, expected = _load(args)
    if not args.no_ita:
        _say(ita_note(options))
    started = time.perf_counter()
    result = deploy_and_run(graph, inputs, options, args.workdir, golden=True, progress=_say)
    checks = [(_check_text("the golden executor", result.mismatches, result.golden), not result.mismatches)]
    if expected:
        differ = compare(result, expected)
        source = args.expect or "outputs.npz"
        checks.append((_check_text(source, differ, expected), not differ))
    _say(f"done in {time.perf_counter() - started:.1f} s")
    title = (
        f"deploy run {description}: {result.network.graph_nodes} nodes -> {len(result.network.layers)} layers, "
        f"{options.cores} cores"
    )
    print(format_report(result, options, title, checks))
    if args.json:
        Path(args.json).write_text(json.dumps(report_json(result, options, description, checks), indent=2) + "\n")
    return 0 if all(passed for _, passed in checks) else 1


def _check_text(source: str, mismatches: dict[str, int], reference: dict) -> str:
    count = len(reference)
    size = sum(np.asarray(v).nbytes for v in reference.values())
    if not mismatches:
        return f"outputs equal {source} bit for bit ({count} tensor{'s' if count != 1 else ''}, {size} bytes)"
    parts = ", ".join(f"'{name}': {n} elements differ" for name, n in mismatches.items())
    return f"outputs differ from {source}: {parts}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return run(args)
    except (DeployError, CliError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
    except KeyboardInterrupt:
        message = "interrupted"
    except Exception as error:  # noqa: BLE001 - one line, no traceback (DEPLOY_TRACEBACK=1 shows it)
        if os.environ.get("DEPLOY_TRACEBACK"):
            raise
        message = f"internal error: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    print(f"deploy: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
