"""Bit-exact numpy golden model of the ITA accelerator (numpy only, no simulator dependencies)."""
from .activation import Activation, ActivationParams, GeluConstants, activate, gelu_requant_from_scale, i_gelu
from .golden import (
    AttentionParams,
    AttentionResult,
    FeedforwardParams,
    FeedforwardResult,
    LinearParams,
    Shapes,
    attention,
    feedforward,
    linear,
    matmul_requant,
    single_attention,
)
from .layout import from_tiles, pack_bias24, to_tiles, unpack_bias24
from .requant import Requant, RequantSets, Step, requantize, saturate_acc
from .softmax import SoftmaxVariant, itamax, itamax_denominator, itamax_normalize

__all__ = [
    "Activation", "ActivationParams", "GeluConstants", "activate", "gelu_requant_from_scale", "i_gelu",
    "AttentionParams", "AttentionResult", "FeedforwardParams", "FeedforwardResult", "LinearParams", "Shapes",
    "attention", "feedforward", "linear", "matmul_requant", "single_attention",
    "from_tiles", "pack_bias24", "to_tiles", "unpack_bias24",
    "Requant", "RequantSets", "Step", "requantize", "saturate_acc",
    "SoftmaxVariant", "itamax", "itamax_denominator", "itamax_normalize",
]  # fmt: skip
