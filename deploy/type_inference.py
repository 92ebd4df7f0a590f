"""Assign a C integer type to every tensor: graph inputs as given, constants by their role, results by rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from deploy.graph import Node
from deploy.integers import fits, minimal_integer_dtype


def constant_dtype(name: str, values: np.ndarray, consumers: Sequence[Node]) -> np.dtype:
    """The type its first consumer's kernel takes it as, else the narrowest integer type holding it."""
    for node in consumers:
        for position, input_name in enumerate(node.inputs):
            role_dtype = node.attrs.constant_dtypes.get(position) if input_name == name else None
            if role_dtype is not None:
                if not fits(values, role_dtype):
                    raise ValueError(f"{node.describe()}: constant '{name}' does not fit {role_dtype}")
                return np.dtype(role_dtype)
    return minimal_integer_dtype(values)


def infer_dtypes(
    nodes: Sequence[Node], input_dtypes: Mapping[str, np.dtype], constants: Mapping[str, np.ndarray]
) -> dict[str, np.dtype]:
    """Types of all tensors; `nodes` must be in topological order. Raises ValueError naming the node."""
    dtypes = {name: np.dtype(dtype) for name, dtype in input_dtypes.items()}
    for name, values in constants.items():
        dtypes[name] = constant_dtype(name, values, [n for n in nodes if name in n.inputs])
    for node in nodes:
        try:
            result = np.dtype(node.attrs.output_dtype([dtypes[i] for i in node.inputs]))
        except ValueError as error:
            raise ValueError(f"{node.describe()}: {error}") from None
        for output in node.outputs:
            dtypes[output] = result
    return dtypes
