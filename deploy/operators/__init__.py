"""Supported operators: op type -> typed attribute dataclass (which also carries the typing rules)."""

from deploy.operators.base import AttributeReader, OpAttributes
from deploy.operators.quantized import QUANTIZED_OPERATORS
from deploy.operators.standard import STANDARD_OPERATORS

OPERATORS: dict[str, type[OpAttributes]] = {**QUANTIZED_OPERATORS, **STANDARD_OPERATORS}

__all__ = ["OPERATORS", "AttributeReader", "OpAttributes"]
