"""Base of the typed operator descriptions: attribute reading, arity, result and constant-operand types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

INT8 = np.dtype(np.int8)
UINT8 = np.dtype(np.uint8)
INT32 = np.dtype(np.int32)
INT64 = np.dtype(np.int64)

_MISSING = object()


class AttributeReader:
    """Typed access to one node's raw attributes (Python scalars, tuples, str or numpy arrays).

    QuantLib stores scalars as 1-element float tensors; `integer` accepts those when they hold a
    whole number. Several names may be given for one attribute (e.g. n_levels / n_levels_out).
    Errors are ValueError with a short message; the importer prefixes the node.
    """

    def __init__(self, values: Mapping[str, object]):
        self._values = dict(values)

    def has(self, name: str) -> bool:
        return name in self._values

    def _get(self, names: Sequence[str], default):
        for name in names:
            if name in self._values:
                return name, self._values[name]
        if default is _MISSING:
            raise ValueError(f"attribute '{names[0]}' is missing")
        return None, default

    def integer(self, *names: str, default=_MISSING) -> int:
        name, value = self._get(names, default)
        if name is None:
            return default
        scalar = np.asarray(value)
        if scalar.size != 1 or scalar.dtype.kind not in "iuf" or scalar.reshape(()) != np.round(scalar.reshape(())):
            raise ValueError(f"attribute '{name}' must be one integer, got {value!r}")
        return int(scalar.reshape(()))

    def number(self, *names: str, default=_MISSING) -> float:
        name, value = self._get(names, default)
        if name is None:
            return default
        scalar = np.asarray(value)
        if scalar.size != 1 or scalar.dtype.kind not in "iuf":
            raise ValueError(f"attribute '{name}' must be one number, got {value!r}")
        return float(scalar.reshape(()))

    def flag(self, *names: str, default=_MISSING) -> bool:
        value = self.integer(*names, default=default)
        if value not in (0, 1):
            raise ValueError(f"attribute '{names[0]}' must be 0 or 1, got {value}")
        return bool(value)

    def integers(self, *names: str, default=_MISSING) -> tuple[int, ...] | None:
        name, value = self._get(names, default)
        if name is None:
            return default
        array = np.atleast_1d(np.asarray(value))
        if array.dtype.kind not in "iuf" or np.any(array != np.round(array)):
            raise ValueError(f"attribute '{name}' must be integers, got {value!r}")
        return tuple(int(v) for v in array.ravel())

    def text(self, *names: str, default=_MISSING) -> str:
        name, value = self._get(names, default)
        if name is None:
            return default
        if isinstance(value, bytes):
            return value.decode()
        if not isinstance(value, str):
            raise ValueError(f"attribute '{name}' must be a string, got {value!r}")
        return value


@dataclass(frozen=True)
class OpAttributes:
    """Typed attributes of one operator type; subclasses add fields and override the class rules.

    - `arity`: (minimum, maximum) number of inputs.
    - `constant_dtypes`: C type of constant operands by input position, as the kernels take them
      (other constants get the narrowest integer type holding their values).
    - `required_constants`: input positions that must be constants (shape-like operands).
    - `output_dtype`: the C type of the result, from the input types.
    - `check_shapes`: raise ValueError for input/output shapes the flow does not support.
    """

    arity: ClassVar[tuple[int, int]] = (1, 1)
    constant_dtypes: ClassVar[Mapping[int, np.dtype]] = {}
    required_constants: ClassVar[tuple[int, ...]] = ()

    @classmethod
    def from_attributes(cls, read: AttributeReader) -> OpAttributes:
        return cls()

    def output_dtype(self, inputs: Sequence[np.dtype]) -> np.dtype:
        return inputs[0]

    def check_shapes(self, inputs: Sequence[tuple[int, ...]], output: tuple[int, ...]) -> None:
        return None


def quantized_dtype(n_levels: int, signed: bool) -> np.dtype:
    """The C type of a tensor with `n_levels` levels."""
    for bits in (8, 16, 32):
        if n_levels <= 2**bits:
            return np.dtype(f"{'' if signed else 'u'}int{bits}")
    raise ValueError(f"n_levels {n_levels} exceeds 32 bits")


def broadcastable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))
