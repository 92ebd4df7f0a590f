"""The end-to-end flow: Graph + inputs -> lowered layers -> memory plan -> C -> ELF -> simulated
cluster -> outputs and per-layer cycles, checked against the golden executor.

    result = deploy_and_run(graph, inputs, DeployOptions(cores=8))
    result.outputs            # graph output name -> numpy array (the output tensor's type)
    result.layer_cycles       # cycles of every layer, measured on core 0 between barriers

The C sources and the ELF are written to `workdir` (a temporary folder by default).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deploy.codegen import generate
from deploy.errors import DeployError
from deploy.golden.executor import typed_input
from deploy.graph import Graph
from deploy.lowering import ITA, LoweredNetwork, available_engines, lower
from deploy.lowering.ita import minimal_region, size_region
from deploy.memory import L1_RESERVE, MemoryPlan, allocate
from deploy.tiling import tile_network

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "firmware" / "kernels"
DEPLOY_CSRC = Path(__file__).resolve().parent / "csrc"
L2_BYTES = 8 * 1024 * 1024
L2_MAX_BYTES = 256 * 1024 * 1024
"""L2 of the linker script (firmware/runtime/link.ld): code, constants and L2 activations."""
CODE_RESERVE = 256 * 1024
"""L2 kept for code, the C library and the input data copies when checking the fit up front."""


@dataclass(frozen=True)
class DeployOptions:
    cores: int = 8
    engine: str = "fast"  # simulator engine: "fast" or "detailed"
    check_alignment: bool = True
    placement: str = "auto"  # activations: "auto" (L1 if they fit), "l1", "l2"
    l1_kib: int = 128
    stack_bytes: int = 2048
    opt: str = "-O2"
    freq_mhz: float = 500.0
    ita: bool = False  # map what ITA runs bit for bit onto ITA (deploy/lowering/ita_patterns.py)
    ita_softmax: str = "ita-paper"  # the softmax the simulated ITA computes (iss.ita.SoftmaxVariant value)
    max_cycles: int | None = None
    timeout_s: float | None = None
    strict: bool = False  # the simulator stops any access to memory a DMA transfer or ITA job still uses
    tiling: bool = True  # run the cores' kernels that touch L2 tile by tile through L1 (deploy/tiling.py)

    @property
    def l1_budget(self) -> int:
        return self.l1_kib * 1024 - (self.cores + 1) * self.stack_bytes - L1_RESERVE


@dataclass
class BuiltNetwork:
    network: LoweredNetwork
    plan: MemoryPlan
    workdir: Path
    sources: list[Path]
    elf: Path
    l2_bytes: int = 8 * 1024 * 1024  # L2 size the ELF is linked for and simulated with
    ita_region: object | None = None  # deploy.lowering.ita.ItaRegion: the ITA driver's L1 region


@dataclass
class DeployResult:
    built: BuiltNetwork
    outputs: dict[str, np.ndarray]
    layer_cycles: list[int]
    network_cycles: int
    run_cycles: int
    instructions: int
    wall_seconds: float
    program_output: str = ""
    golden: dict[str, np.ndarray] | None = None
    mismatches: dict[str, int] = field(default_factory=dict)
    layer_dma_bytes: list[int] = field(default_factory=list)
    ita: object | None = None  # iss.report.ItaReport: jobs, busy cycles, MACs, utilisation
    dma: object | None = None  # iss.report.DmaReport: transfers, bytes, busy cycles

    @property
    def network(self) -> LoweredNetwork:
        return self.built.network

    @property
    def matches_golden(self) -> bool | None:
        return None if self.golden is None else not self.mismatches


def _typed_inputs(graph: Graph, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    missing = [name for name in graph.inputs if name not in inputs]
    if missing:
        raise DeployError(f"graph input '{missing[0]}' not given")
    return {name: typed_input(graph.tensor(name), inputs[name]) for name in graph.inputs}


def build(graph: Graph, inputs: Mapping[str, np.ndarray], options: DeployOptions, workdir: Path,
          progress=None) -> BuiltNetwork:  # fmt: skip
    """Lower, allocate, generate and compile; `progress(text)` is told about each stage."""
    from iss.errors import SimError
    from toolchain.build import build_program

    say = progress or (lambda text: None)
    try:  # the cluster's own checks (cores, L1 size, stacks) before any work
        cluster_config(options, L2_BYTES)
    except SimError as error:
        raise DeployError(str(error).splitlines()[0]) from None
    data = _typed_inputs(graph, inputs)
    engines = available_engines(options.ita, options.ita_softmax)
    network = lower(graph, engines)
    for engine in engines:  # where each node ITA could have taken ran, and why (for the report)
        if getattr(engine, "last_plan", None) is not None:
            network.ita_notes = list(engine.last_plan.notes)
            network.ita_softmax = engine.softmax
    # ITA's tiles live in a static L1 region next to the activations: its minimal size is
    # reserved first, whatever L1 the plan leaves free then becomes more tile slots
    base = minimal_region(network)
    if base and base.bytes > options.l1_budget:
        raise DeployError(
            f"ITA's smallest L1 region ({base.bytes} B: two slots per operand and the logits of a query group) does "
            f"not fit the {max(options.l1_budget, 0)} B of L1 left after the stacks; give more L1 (--l1-kib) or use --no-ita"
        )
    budget = options.l1_budget - (base.bytes if base else 0)
    plan = allocate(network, budget, options.placement)
    region = size_region(network, budget - plan.l1_bytes)
    network.ita_region = region
    # the cores' tiles share the L1 work region with ITA's slots (one layer runs at a time)
    network.tiling = tile_network(network, plan, options.l1_budget - plan.l1_bytes) if options.tiling else None
    ita_layers = sum(layer.engine == ITA for layer in network.layers)
    tiled = network.tiling.tiled if network.tiling else 0
    say(
        f"lowered {network.graph_nodes} nodes to {len(network.layers)} layers ({ita_layers} on ITA); constants "
        f"{plan.constant_bytes} B in L2, activations {plan.activation_bytes} B in {plan.placement} (arena "
        f"{plan.arena_bytes} B, {plan.unshared_bytes} B without reuse)"
        + (f"; ITA region {region.bytes} B in L1" if region else "")
        + (f"; {tiled} core kernel calls tiled through L1 ({network.tiling.work_bytes} B)" if tiled else "")
    )
    needed = plan.l2_bytes + 2 * plan.input_bytes + CODE_RESERVE
    # PLATFORM.md: L2 is 8 MiB by default and configurable; a network whose weights do not fit
    # gets the next power of two (the paper's weights live in off-cluster memory).
    l2_bytes = L2_BYTES
    while l2_bytes < needed:
        l2_bytes *= 2
    if l2_bytes > L2_MAX_BYTES:
        raise DeployError(
            f"the network needs {needed / 2**20:.1f} MiB of L2, more than the {L2_MAX_BYTES >> 20} MiB the "
            "memory map allows; deploy fewer layers (--layers) or a shorter sequence (--seq)"
        )
    if l2_bytes > L2_BYTES:
        say(f"L2 enlarged to {l2_bytes >> 20} MiB for {needed / 2**20:.1f} MiB of constants and code")
    workdir.mkdir(parents=True, exist_ok=True)
    sources = generate(network, plan, data).write(workdir)
    say(f"generated {', '.join(p.name for p in sources)} in {workdir}; compiling")
    kernel_sources = sorted(KERNELS.glob("*.c")) + sorted(DEPLOY_CSRC.glob("*.c"))
    c_sources = [p for p in sources if p.suffix == ".c"]
    try:
        elf = build_program(
            [*c_sources, *kernel_sources], workdir / "network.elf", opt=options.opt, include_dirs=[KERNELS, DEPLOY_CSRC, workdir],
            l2_bytes=l2_bytes,
        )
    except SimError as error:
        raise DeployError(str(error).splitlines()[0]) from None
    return BuiltNetwork(network, plan, workdir, sources, elf, l2_bytes, region)


def cluster_config(options: DeployOptions, l2_bytes: int):
    """The simulated cluster for `options` (iss.config.ClusterConfig; raises its input errors)."""
    from iss.config import ClusterConfig

    return ClusterConfig(
        cores=options.cores, engine=options.engine, check_alignment=options.check_alignment,
        l1_kib=options.l1_kib, stack_bytes=options.stack_bytes, freq_mhz=options.freq_mhz,
        max_cycles=options.max_cycles, timeout_s=options.timeout_s, l2_kib=l2_bytes // 1024,
        ita_softmax=options.ita_softmax, strict=options.strict,
    )  # fmt: skip


def simulate(built: BuiltNetwork, options: DeployOptions, progress=None) -> DeployResult:
    from iss.cluster import Cluster
    from iss.errors import SimError

    say = progress or (lambda text: None)
    network = built.network
    sink = io.StringIO()
    try:
        config = cluster_config(options, built.l2_bytes)
        say(f"simulating on {options.cores} compute core{'s' if options.cores != 1 else ''} + DMA core ({options.engine} engine)")
        cluster = Cluster(str(built.elf), config, sink=sink)
        report = cluster.run()
    except SimError as error:
        raise DeployError(f"simulation failed: {str(error).splitlines()[0]}") from None
    if report.exit_code != 0:
        raise DeployError(f"the program exited with code {report.exit_code}")
    outputs = {}
    for k, (graph_name, name) in enumerate(zip(network.graph_outputs, network.outputs)):
        tensor = network.tensors[name]
        raw = cluster.read_symbol(f"network_output_{k}")
        outputs[graph_name] = np.frombuffer(raw, dtype=tensor.dtype.newbyteorder("<"))[: tensor.size].astype(tensor.dtype).reshape(tensor.shape)
    cycles = np.frombuffer(cluster.read_symbol("layer_cycles"), dtype="<u4")[: len(network.layers)]
    total = int(np.frombuffer(cluster.read_symbol("network_cycles"), dtype="<u4")[0])
    try:  # only ITA programs count DMA bytes (otherwise the linker drops the array)
        moved = np.frombuffer(cluster.read_symbol("layer_dma_bytes"), dtype="<u4")[: len(network.layers)]
    except KeyError:
        moved = np.zeros(len(network.layers), np.uint32)
    return DeployResult(built, outputs, [int(c) for c in cycles], total, report.cycles, report.instructions,
                        report.wall_seconds, sink.getvalue(), layer_dma_bytes=[int(b) for b in moved],
                        ita=report.ita, dma=report.dma)  # fmt: skip


def compare(result: DeployResult, expected: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Number of differing elements per output (shape or type differences count as all)."""
    mismatches = {}
    for name, want in expected.items():
        got = result.outputs[name]
        want = np.asarray(want)
        if got.shape != want.shape or got.dtype != want.dtype:
            mismatches[name] = want.size
            continue
        differ = int(np.count_nonzero(got != want))
        if differ:
            mismatches[name] = differ
    return mismatches


def deploy_and_run(graph: Graph, inputs: Mapping[str, np.ndarray], options: DeployOptions | None = None,
                   workdir: str | Path | None = None, golden: bool = True, progress=None) -> DeployResult:  # fmt: skip
    """The whole flow; with `golden`, also runs the golden executor and compares bit for bit."""
    options = options or DeployOptions()
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="deploy-") as folder:
            return deploy_and_run(graph, inputs, options, folder, golden, progress)
    built = build(graph, inputs, options, Path(workdir), progress)
    result = simulate(built, options, progress)
    if golden:
        from deploy.golden import run_golden

        if progress:
            progress("running the golden executor")
        result.golden = run_golden(graph, inputs).outputs
        result.mismatches = compare(result, result.golden)
    return result
