"""ITA requantization (reference/ita.md section 3), bit-exact with the RTL `ita_requantizer.sv`.

y = clip_int8(floor(eps_mult * acc / 2**right_shift + add + 0.5)). The RTL computes it in integers:
  product = {0, eps_mult} * acc                      (eps_mult unsigned, acc signed 26-bit)
  shifted = (product >>> right_shift) + product[right_shift - 1]   (if right_shift > 0)
  y       = saturate_int8(shifted + add)
(product >>> s) + bit(s-1) == floor(product / 2**s + 0.5) for every integer product, and adding the
integer `add` after the rounding equals adding it before, so the integer steps and the float formula
agree exactly: rounding is half up (towards +inf), e.g. -2.5 -> -2 (the RTL comment says "half away
from zero", its logic does half up). PyITA's float version adds float32 eps before the floor, which
differs from the RTL only when right_shift >= 24; we follow the RTL.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

ACC_BITS = 26  # WO: dot-product and partial-sum width
BIAS_BITS = 24  # WO-2: bias width (packed 24-bit in memory, sign-extended into the accumulator)
ACC_MIN, ACC_MAX = -(1 << (ACC_BITS - 1)), (1 << (ACC_BITS - 1)) - 1
BIAS_MIN, BIAS_MAX = -(1 << (BIAS_BITS - 1)), (1 << (BIAS_BITS - 1)) - 1


class Step(IntEnum):
    """Index of each step's requantization set (`ita_requantization_controller.sv`).

    The Linear (MatMul) step has no entry of its own: the RTL's default branch uses index 0 (Q)."""

    Q = 0
    K = 1
    V = 2
    QK = 3
    AV = 4
    OW = 5
    F1 = 6
    F2 = 7


@dataclass(frozen=True)
class Requant:
    """One requantization set, with the register field widths: eps_mult u8, right_shift u8, add i8."""

    eps_mult: int = 1
    right_shift: int = 0
    add: int = 0

    def __post_init__(self):
        for name, lo, hi in (("eps_mult", 0, 255), ("right_shift", 0, 255), ("add", -128, 127)):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                raise ValueError(f"requant {name} = {v!r} outside [{lo}, {hi}]")


@dataclass(frozen=True)
class RequantSets:
    """The eight sets of the EPS_MULT0/1, RIGHT_SHIFT0/1 and ADD0/1 registers, in index order."""

    q: Requant = Requant()
    k: Requant = Requant()
    v: Requant = Requant()
    qk: Requant = Requant()
    av: Requant = Requant()
    ow: Requant = Requant()
    f1: Requant = Requant()
    f2: Requant = Requant()

    def __getitem__(self, step: Step) -> Requant:
        return getattr(self, Step(step).name.lower())

    def registers(self) -> dict[str, int]:
        """Register words: byte i of *0 holds set i, byte i of *1 holds set 4+i (ita.md 7.2)."""
        sets = [getattr(self, f.name) for f in fields(self)]
        out = {}
        for reg, attr in (("EPS_MULT", "eps_mult"), ("RIGHT_SHIFT", "right_shift"), ("ADD", "add")):
            for half in (0, 1):
                out[f"{reg}{half}"] = sum(
                    (getattr(s, attr) & 0xFF) << (8 * i) for i, s in enumerate(sets[4 * half : 4 * half + 4])
                )
        return out


def saturate_acc(acc) -> np.ndarray:
    """Clip to the signed 26-bit accumulator range, as PyITA does before requantizing.

    The RTL accumulator wraps instead, but with int8 (or, for AV, uint8) operands, inner dimensions
    <= 960 (4-bit tile counts) and 24-bit biases |acc| stays below 2**25, so neither ever triggers."""
    return np.clip(np.asarray(acc, dtype=np.int64), ACC_MIN, ACC_MAX)


def requantize(acc, rq: Requant) -> np.ndarray:
    """Requantize signed 26-bit values to int8 with one set (the RTL's integer steps)."""
    acc = np.asarray(acc, dtype=np.int64)
    if acc.size and (acc.min() < ACC_MIN or acc.max() > ACC_MAX):
        raise ValueError("requantize: input outside the signed 26-bit accumulator range")
    product = acc * int(rq.eps_mult)  # |product| < 2**33: exact in int64
    # For right_shift >= 35 the RTL's rounding-bit select product[s-1] is out of range (undefined);
    # we keep the exact floor(x/2**s + 0.5) there (0 for every 26-bit input). Capping at 62 keeps
    # numpy's shifts defined and gives the same result as any larger shift.
    s = min(int(rq.right_shift), 62)
    y = product >> s
    if s > 0:
        y = y + ((product >> (s - 1)) & 1)
    return np.clip(y + int(rq.add), -128, 127).astype(np.int8)
