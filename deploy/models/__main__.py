"""python -m deploy.models {list | stats NAME | save NAME FOLDER} [--seq N] [--layers N] [--seed N]"""

from __future__ import annotations

import argparse
import sys

from deploy.models import ZOO, build_model, get_spec, graph_stats, save_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.models", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the zoo's models and their dimensions")
    for command in ("stats", "save"):
        summary = "MACs and weights" if command == "stats" else "write a Deeploy test folder"
        sub = commands.add_parser(command, help=summary)
        sub.add_argument("name", choices=sorted(ZOO))
        if command == "save":
            sub.add_argument("folder")
        sub.add_argument("--seq", type=int, default=None, help="tokens (padded to a multiple of 64)")
        sub.add_argument("--layers", type=int, default=None)
        sub.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, spec in ZOO.items():
            width = f"{spec.hidden}" + (f"/{spec.bottleneck}" if spec.bottleneck else "")
            print(
                f"{name:22s} layers={spec.layers:2d} hidden={width:7s} heads={spec.heads}x{spec.head_dim} "
                f"ffn={spec.ffn_stack}x{spec.ffn} {spec.norm}/{spec.activation} seq={spec.seq}"
            )
        return 0
    spec = get_spec(args.name, args.seq, args.layers)
    if args.command == "stats":
        model, _ = build_model(spec, seed=args.seed)
        stats = graph_stats(model)
        print(
            f"{spec.name}: {spec.layers} layers, S={spec.padded_seq()} (requested {spec.seq}): "
            f"{stats.macs} MAC = {stats.gop:.3f} GOp, {stats.parameters} weights, {stats.nodes} nodes"
        )
        return 0
    folder = save_model(spec, args.folder, seed=args.seed)
    print(f"wrote {folder}/network.onnx, inputs.npz, outputs.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
