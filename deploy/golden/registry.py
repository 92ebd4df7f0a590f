"""Op type -> golden kernel. A kernel takes the node's typed attributes and its input arrays
(in their C types) and returns the result values; the executor stores them in the output type."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from deploy.golden import activation, elementwise, linear, norm, reduce, requant, shape, softmax, spatial

GoldenKernel = Callable[..., np.ndarray]

GOLDEN_KERNELS: dict[str, GoldenKernel] = {
    "RequantShift": requant.requant_shift,
    "iSoftmax": softmax.i_softmax,
    "ITAMax": softmax.ita_max,
    "ITAPartialMax": softmax.ita_partial_max,
    "iLayerNorm": norm.i_layer_norm,
    "iRMSNorm": norm.i_rms_norm,
    "iNoNorm": norm.i_no_norm,
    "iGELU": activation.i_gelu,
    "iHardswish": activation.i_hardswish,
    "IntegerMean": reduce.integer_mean,
    "IntegerDiv": elementwise.integer_div,
    "MatMul": linear.matmul,
    "Gemm": linear.gemm,
    "Add": elementwise.add,
    "Mul": elementwise.mul,
    "Conv": spatial.conv,
    "MaxPool": spatial.max_pool,
    "Transpose": shape.transpose,
    "Reshape": shape.reshape,
    "Flatten": shape.flatten,
    "Squeeze": shape.squeeze,
    "Unsqueeze": shape.unsqueeze,
    "Identity": shape.identity,
    "Gather": shape.gather,
    "Concat": shape.concat,
    "Slice": shape.slice_,
    "Pad": shape.pad,
}
