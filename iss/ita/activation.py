"""ITA activation unit (reference/ita.md sections 2.5 and 6; RTL `ita_activation.sv`, `ita_gelu.sv`).

After the main requantization each int8 value goes through the selected activation (CTRL_ENGINE[3:2]):
Identity passes it through unchanged; ReLU and i-GELU are followed by a second requantization with
the ACTIVATION_REQUANT register (same integer steps as `requant.requantize`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from .requant import ACC_BITS, Requant, requantize

GELU_A, GELU_B, GELU_C = -0.2888, -1.769, 1.0  # I-BERT's erf polynomial a*(x+b)**2 + c


class Activation(IntEnum):
    """`activation_e`, the value of CTRL_ENGINE[3:2]."""

    IDENTITY = 0
    GELU = 1
    RELU = 2


@dataclass(frozen=True)
class GeluConstants:
    """The GELU_B_C register: q_b in [15:0], q_c in [31:16], both int16. The RTL uses q_c for q_1 too."""

    b: int = 0
    c: int = 0

    def __post_init__(self):
        for name in ("b", "c"):
            if not -(1 << 15) <= getattr(self, name) < (1 << 15):
                raise ValueError(f"GELU constant {name} = {getattr(self, name)} is not int16")

    @classmethod
    def from_scale(cls, s: float) -> "GeluConstants":
        """PyITA's constants for input scale s: q_b = round(b/S2), q_c = round(c/(a*S2**2)), S2 = s/sqrt 2."""
        s2 = s / np.sqrt(2.0)
        rnd = lambda v: int(np.clip(np.floor(v + 0.5), -(1 << 15), (1 << 15) - 1))  # half up, as PyITA
        return cls(b=rnd(GELU_B / s2), c=rnd(GELU_C / (GELU_A * s2 * s2)))

    def register(self) -> int:
        return (self.b & 0xFFFF) | ((self.c & 0xFFFF) << 16)


def gelu_requant_from_scale(s: float, shift: int = 20) -> Requant:
    """PyITA's activation requantization for i-GELU: eps = round(-S_out/s * 2**shift), add 0.

    S_out = s*a*S2**2/2 is negative, so the output scale is -s: the i-GELU result comes out negated."""
    s2 = s / np.sqrt(2.0)
    s_out = s * GELU_A * s2 * s2 / 2
    return Requant(eps_mult=int(np.floor(-s_out / s * (1 << shift) + 0.5)), right_shift=shift)


@dataclass(frozen=True)
class ActivationParams:
    """Activation kind (CTRL_ENGINE), GELU_B_C and ACTIVATION_REQUANT of one job."""

    kind: Activation = Activation.IDENTITY
    gelu: GeluConstants = field(default_factory=GeluConstants)
    rq: Requant = field(default_factory=Requant)


def _wrap(v: np.ndarray, bits: int = ACC_BITS) -> np.ndarray:
    """Two's-complement wrap to `bits`: every RTL signal of `ita_gelu` is GELU_OUT_WIDTH = 26 bits."""
    half = 1 << (bits - 1)
    return ((v + half) & ((1 << bits) - 1)) - half


def i_gelu(q, gelu: GeluConstants) -> np.ndarray:
    """The RTL's i-GELU of int8 q, a signed 26-bit value: q * (sgn(q)*((min(|q|,-b)+b)**2 + c) + c).

    Unlike PyITA the RTL does not clip q to -127 first: the two differ at q = -128 only."""
    q = np.asarray(q, dtype=np.int64)
    b, c = np.int64(gelu.b), np.int64(gelu.c)
    neg = q < 0
    mag = np.where(neg, -q, q)
    clipped = np.where(mag > -b, -b, mag)
    d = _wrap(clipped + b)
    erf_l = _wrap(_wrap(d * d) + c)
    erf = _wrap(np.where(neg, -erf_l, erf_l))
    return _wrap(q * _wrap(erf + c))


def activate(x, act: ActivationParams) -> np.ndarray:
    """Apply the activation unit to int8 values (the main requantizer's output)."""
    x = np.asarray(x, dtype=np.int64)
    if act.kind == Activation.IDENTITY:
        return x.astype(np.int8)
    if act.kind == Activation.RELU:
        return requantize(np.maximum(x, 0), act.rq)
    if act.kind == Activation.GELU:
        return requantize(i_gelu(x, act.gelu), act.rq)
    raise ValueError(f"activation {act.kind!r} is not Identity, GELU or ReLU")
