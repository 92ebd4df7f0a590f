"""Lockstep: both engines run the same program side by side, one instruction at a time, and
the run stops at the first instruction after which registers, CSRs or memory differ."""

from dataclasses import dataclass, replace

from .cluster import Cluster
from .config import ClusterConfig
from .disasm import describe_instruction
from .elf import Program
from .errors import SimError
from .hart import HartState
from .privileged import csr_access


class DivergenceError(SimError):
    exit_status = 6


@dataclass
class LockstepResult:
    steps: int
    exit_code: int
    instructions: list[int]


_MSTATUS_SD = 1 << 31
_MSTATUS_FS = 3 << 13
_BOX = 0xFFFF_FFFF << 32


def _same(key: str, fast: int, detailed: int, d_state: dict) -> bool:
    """Equal up to the fast engine's documented deviations (docs/platform-notes.md):
    QEMU 5 neither NaN-boxes f32 results nor keeps mstatus.SD, and shows junk fcsr bits
    while the FPU is off."""
    if fast == detailed:
        return True
    if key.startswith("f") and key[1:].isdigit():
        return detailed & _BOX == _BOX and (fast ^ detailed) & 0xFFFF_FFFF == 0
    if key == "mstatus":
        return (fast ^ detailed) & ~_MSTATUS_SD == 0
    if key == "fcsr":
        return d_state.get("mstatus", 0) & _MSTATUS_FS == 0
    return False


def _differences(a: dict, b: dict) -> list[str]:
    return [k for k in a if not _same(k, a[k], b.get(k), b)]


def _format_state(state: dict, keys: list[str]) -> str:
    return " ".join(f"{k}=0x{state[k]:x}" for k in keys)


def run_lockstep(program: Program, config: ClusterConfig, max_steps: int | None = None, sink=None) -> LockstepResult:
    """Run `program` on the fast and the detailed engine in lockstep; raise DivergenceError."""
    import io

    fast = Cluster(program, replace(config, engine="fast"), sink=sink if sink is not None else io.StringIO())
    detailed = Cluster(program, replace(config, engine="detailed"), sink=io.StringIO())
    steps = 0
    while not (fast.finished or detailed.finished):
        progressed = False
        for hf, hd in zip(fast.harts, detailed.harts):
            if hf.state is not hd.state:
                raise DivergenceError(f"hart {hf.hart_id}: fast engine is {hf.state.value}, detailed is {hd.state.value}")
            if hf.state is not HartState.RUNNING:
                continue
            pc = hf.pc
            word = fast.original_word(pc)
            hf.step()
            hd.step()
            steps += 1
            progressed = True
            _compare(fast, detailed, hf, hd, pc, word, steps)
            if fast.finished or detailed.finished:
                break
        if max_steps is not None and steps >= max_steps:
            break
        if not progressed and not (fast.finished or detailed.finished):
            break  # both deadlocked the same way; the normal run reports it
    if fast.finished != detailed.finished or fast.exit_code != detailed.exit_code:
        raise DivergenceError(f"run end differs: fast exit {fast.exit_code}, detailed exit {detailed.exit_code}")
    _compare_memory(fast, detailed)
    return LockstepResult(steps, fast.exit_code or 0, [h.instret for h in fast.harts])


# Cycle counters read the timing model, which is the engines' one intended difference (the
# fast engine counts one cycle per instruction): the fast engine is given the detailed value.
_TIME_CSRS = {0xB00, 0xB80, 0xC00, 0xC80, 0xC01, 0xC81}


def _sync_time_reads(hf, hd, word: int) -> None:
    access = csr_access(word)
    if access is not None and access.csr in _TIME_CSRS and access.rd:
        handoff = getattr(hf, "handoff", None)
        if handoff is not None and handoff.active:  # the fast hart runs SSR/FREP code detailed
            handoff.detailed.x[access.rd] = hd.x[access.rd]
        else:
            hf._write_rd(access.rd, hd.x[access.rd])


def _compare(fast, detailed, hf, hd, pc, word, steps) -> None:
    _sync_time_reads(hf, hd, word)
    sf, sd = hf.arch_state(), hd.arch_state()
    diff = _differences(sf, sd)
    for address, size in getattr(hd, "last_stores", ()):
        mine, theirs = fast.memory.read(address, size), detailed.memory.read(address, size)
        if mine != theirs:
            if size == 8 and mine[:4] == theirs[:4] and theirs[4:] == b"\xff" * 4:
                # fsd of an f32 value: the detailed engine stores it NaN-boxed, QEMU 5 does not
                # (a documented fast-engine deviation); resync so later loads agree.
                fast.memory.write(address, theirs)
                continue
            diff.append(f"mem[0x{address:08x}]")
    if diff:
        regs = [k for k in diff if not k.startswith("mem[")]
        mems = [k for k in diff if k.startswith("mem[")]
        lines = [
            f"engines diverge at step {steps}: hart {hf.hart_id}, pc 0x{pc:08x}: {describe_instruction(word, pc)}",
            f"  fast:     {_format_state(sf, regs)}",
            f"  detailed: {_format_state(sd, regs)}",
        ]
        for m in mems:
            address = int(m[6:-1], 16)
            lines.append(f"  {m}: fast {fast.memory.read(address, 8).hex()} detailed {detailed.memory.read(address, 8).hex()}")
        raise DivergenceError("\n".join(lines))


def _compare_memory(fast, detailed) -> None:
    for (name, base, a), (_, _, b) in zip(fast.memory.regions, detailed.memory.regions):
        if not (a == b).all():
            first = int((a != b).nonzero()[0][0])
            raise DivergenceError(f"{name} differs at the end of the run, first at 0x{base + first:08x}")
