"""Write an integer ONNX graph node by node while running it on the calibration input.

Every node added is evaluated at once with the golden kernels (deploy.golden), on the model's own
seeded input, so each requantization can be calibrated on the magnitude its accumulator really has
(what a post-training quantizer does with calibration data): mul / 2^log2D = target / rms(acc).

Conventions (those of QuantLib's exports and Deeploy's test graphs, e.g. Models/CCT/Int/ICCT):

- default-domain nodes with the custom op types (RequantShift, ITAMax, iGELU, iLayerNorm, iNoNorm),
  opset 10 plus the custom opset `PACTOps` 1;
- RequantShift(x, mul, add) with scalar int32 mul/add and attributes `div` (float, a power of two),
  `n_levels_out` = [256.0], `signed` = [1.0] / [0.0]; iLayerNorm/iNoNorm/ITAMax with 1-element
  float list attributes (`D`, `mul`, `n_levels`); iGELU with int attributes `b`, `one`;
- linear layers as MatMul(x, W[K, N]) -> Add(bias, .) -> RequantShift;
- every tensor has its shape (and integer element type) in the file: Deeploy does no shape inference.

Initializers are stored with integer element types (int8 weights, int32 requantization and norm
parameters and biases, int64 shapes); QuantLib writes the same whole numbers as float32, and both
import the same (deploy.onnx_import reads initializers as exact integers).

Requantization parameters are ITA-compatible: mul <= 255 (ITA's uint8 eps_mult), div = 2^log2D,
add a multiple of div with add/div in int8 (so Deeploy's MUL-ADD-DIV equals ITA's MUL-DIV-ADD, and
Deeploy's EmulateCMSISRequantPass leaves it unchanged), biases within ITA's 24 bits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

from deploy.golden import GOLDEN_KERNELS
from deploy.golden.norm import i_layer_norm
from deploy.integers import wrap_int32
from deploy.operators import OPERATORS, AttributeReader
from deploy.operators.quantized import ILayerNormAttrs

# Calibration targets (int8 units). A zero-mean Gaussian of std 24 stays 5.3 sigma inside int8.
TARGET_STD = 24
"""RMS of every signed int8 activation produced by a RequantShift."""
RELU_TARGET = 48
"""RMS of the pre-activation mapped by an unsigned RequantShift (integer ReLU); the uint8 output then
has a standard deviation of about 28 and its 255 ceiling lies 5.3 sigma out."""
LOGIT_TARGET = 32
"""RMS of the pre-softmax logits: ITAMax's exponent 2^-((max-x+16)>>5) halves every 32 units, so
the logits span about 8 halvings."""
LOGIT_CEILING = 120
"""The calibration maximum of the logits is moved down to this (QuantLib moves it to 127 with the
RequantShift's add; ITAMax only sees max - x, so the offset loses nothing)."""
LN_TARGET = 16
"""Output scale of iLayerNorm (ICCT's weights are about 16 * 2^14); reduced if a row would wrap."""
WEIGHT_STD = 32
"""Standard deviation of the random int8 weights (clipped to +-127)."""
BIAS_FRACTION = 0.25
"""Bias standard deviation relative to the RMS of the accumulator it is added to."""
GELU_EPS = 1.0 / 16
"""Real value of one unit at iGELU's input: b = round(-1.769*sqrt(2)/eps), one = round(2/(0.2888*eps^2))."""
MAX_MUL = 255
LN_LOG2D = 14
NONORM_LOG2D = 14
BIAS_LIMIT = (1 << 23) - 1


def exact_rms(values: np.ndarray) -> float:
    """sqrt(mean(x^2)) from an exact integer sum of squares (deterministic across machines)."""
    flat = np.asarray(values, np.int64).reshape(-1)
    if flat.size == 0:
        return 0.0
    peak = int(np.abs(flat).max())
    chunk = max(1, min(flat.size, (1 << 62) // max(1, peak * peak)))
    total = sum(int(np.dot(flat[i : i + chunk], flat[i : i + chunk])) for i in range(0, flat.size, chunk))
    return math.sqrt(total / flat.size)


def round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def requant_scale(ratio: float, peak: int, add_units: int = 0) -> tuple[int, int]:
    """(mul, log2D) with mul / 2^log2D ~ ratio, mul <= 255 (as many bits as possible), and
    peak*mul + |add_units|*2^log2D + 2^(log2D-1) inside int32 (the RequantShift kernels compute in
    int32; `peak` bounds |acc|, `add_units` the add in output units)."""
    if ratio <= 0:
        raise ValueError(f"requantization ratio {ratio} must be positive")
    log2d = max(0, min(30, math.floor(math.log2(MAX_MUL / ratio)))) if ratio < MAX_MUL else 0
    while True:
        mul = max(1, round_half_up(ratio * (1 << log2d)))
        if log2d > 0 and mul > MAX_MUL:
            log2d -= 1
            continue
        rounding = (1 << (log2d - 1)) if log2d else 0
        if peak * mul + (abs(add_units) << log2d) + rounding < (1 << 31) or log2d == 0:
            return mul, log2d
        log2d -= 1


def _raw_attributes(proto: onnx.NodeProto) -> dict:
    values = {}
    for attribute in proto.attribute:
        value = helper.get_attribute_value(attribute)
        if isinstance(value, onnx.TensorProto):
            value = numpy_helper.to_array(value)
        elif isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, list):
            value = tuple(value)
        values[attribute.name] = value
    return values


def _onnx_type(dtype: np.dtype) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class GraphBuilder:
    """Collects nodes, initializers and typed shapes; evaluates each node on the calibration data.

    `rng` draws the parameters; callers may replace it (e.g. one stream per layer)."""

    def __init__(self, name: str, rng: np.random.Generator):
        self.name = name
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[str] = []
        self.values: dict[str, np.ndarray] = {}
        self.dtypes: dict[str, np.dtype] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self._activations: list[str] = []

    # ------------------------------------------------------------ tensors

    def _claim(self, name: str) -> str:
        if name in self.dtypes:
            raise ValueError(f"tensor name '{name}' used twice")
        return name

    def input(self, name: str, values: np.ndarray) -> str:
        self._claim(name)
        values = np.asarray(values)
        self.inputs.append(name)
        self.values[name], self.dtypes[name], self.shapes[name] = values, values.dtype, values.shape
        return name

    def constant(self, name: str, values, dtype) -> str:
        self._claim(name)
        array = np.asarray(values)
        stored = array.astype(dtype)
        if not np.array_equal(stored.astype(np.int64), array.astype(np.int64)):
            raise ValueError(f"constant '{name}' does not fit {np.dtype(dtype)}")
        self.initializers.append(numpy_helper.from_array(stored, name))
        self.values[name], self.dtypes[name], self.shapes[name] = stored, stored.dtype, stored.shape
        return name

    def shape(self, name: str) -> tuple[int, ...]:
        return self.shapes[name]

    def keep_only(self, names: Sequence[str]) -> None:
        """Drop the calibration values of activations other than `names` (memory of deep models)."""
        keep = set(names) | set(self.inputs)
        for name in self._activations:
            if name not in keep:
                self.values.pop(name, None)

    # ------------------------------------------------------------ nodes

    def op(self, op_type: str, inputs: Sequence[str], name: str, **attributes) -> str:
        """Append one node (output `<name>_output_0`), evaluate it, return the output name."""
        output = self._claim(f"{name}_output_0")
        proto = helper.make_node(op_type, list(inputs), [output], name=name, **attributes)
        attrs = OPERATORS[op_type].from_attributes(AttributeReader(_raw_attributes(proto)))
        dtype = np.dtype(attrs.output_dtype([self.dtypes[i] for i in inputs]))
        operands = [self.values[i] for i in inputs]
        if op_type == "MatMul":  # exact in float64 (|acc| << 2^53) and much faster than int64
            result = np.matmul(operands[0].astype(np.float64), operands[1].astype(np.float64)).astype(np.int64)
            if np.any(wrap_int32(result) != result):
                raise ValueError(f"{name}: accumulator exceeds int32")
        else:
            result = np.asarray(GOLDEN_KERNELS[op_type](attrs, *operands), np.int64)
        stored = result.astype(dtype)
        if np.any(stored.astype(np.int64) != result):
            raise ValueError(f"{name} ({op_type}): results do not fit {dtype}")
        self.nodes.append(proto)
        self.values[output], self.dtypes[output], self.shapes[output] = stored, dtype, stored.shape
        self._activations.append(output)
        return output

    def matmul(self, a: str, b: str, name: str) -> str:
        return self.op("MatMul", [a, b], f"{name}_MatMul")

    def reshape(self, x: str, shape: Sequence[int], name: str) -> str:
        target = self.constant(f"{name}.shape", np.array(shape, np.int64), np.int64)
        return self.op("Reshape", [x, target], f"{name}_Reshape")

    def transpose(self, x: str, perm: Sequence[int], name: str) -> str:
        return self.op("Transpose", [x], f"{name}_Transpose", perm=list(perm))

    def add(self, a: str, b: str, name: str) -> str:
        return self.op("Add", [a, b], f"{name}_Add")

    # ------------------------------------------------------------ quantized operators

    def requant(
        self, x: str, name: str, target: float = TARGET_STD, signed: bool = True, ceiling: int | None = None
    ) -> str:
        """RequantShift calibrated so that the output RMS is about `target` (int8 or uint8 output);
        with `ceiling`, add shifts the calibration maximum down to at most `ceiling`."""
        acc = self.values[x].astype(np.int64)
        rms = exact_rms(acc)
        if rms == 0:
            raise ValueError(f"{name}: the accumulator is all zero on the calibration input")
        peak = 2 * int(np.abs(acc).max())  # int32 headroom for inputs larger than the calibration's
        mul, log2d = requant_scale(target / rms, peak, add_units=64 if ceiling is not None else 0)
        offset = 0
        if ceiling is not None:
            rounding = (1 << (log2d - 1)) if log2d else 0
            top = (int(acc.max()) * mul + rounding) >> log2d
            offset = max(-64, min(0, ceiling - top))
        node = f"{name}_RequantShift"
        mul_name = self.constant(f"{node}.mul", np.array(mul, np.int32), np.int32)
        add_name = self.constant(f"{node}.add", np.array(offset << log2d, np.int32), np.int32)
        return self.op(
            "RequantShift",
            [x, mul_name, add_name],
            node,
            div=float(1 << log2d),
            n_levels_out=[256.0],
            signed=[1.0 if signed else 0.0],
        )

    def weight(self, name: str, shape: tuple[int, ...]) -> str:
        values = np.clip(np.rint(self.rng.normal(0.0, WEIGHT_STD, shape)), -127, 127)
        return self.constant(name, values, np.int8)

    def linear(
        self, x: str, n_out: int, name: str, bias: bool = True, target: float = TARGET_STD, signed: bool = True
    ) -> str:
        """MatMul(x, W[K, n_out]) [-> Add(bias, .)] -> RequantShift."""
        weight = self.weight(f"{name}.weight", (self.shape(x)[-1], n_out))
        acc = self.matmul(x, weight, name)
        if bias:
            sigma = BIAS_FRACTION * exact_rms(self.values[acc])
            values = np.clip(np.rint(self.rng.normal(0.0, sigma, n_out)), -BIAS_LIMIT, BIAS_LIMIT)
            acc = self.add(self.constant(f"{name}.bias", values, np.int32), acc, name)
        return self.requant(acc, name, target, signed)

    def ita_max(self, x: str, name: str) -> str:
        return self.op("ITAMax", [x], f"{name}_ITAMax", n_levels=[256.0])

    def gelu(self, x: str, name: str, eps: float = GELU_EPS) -> str:
        """iGELU with QuantLib's constants for an input scale `eps` (int32 output)."""
        b = round_half_up(-1.769 * math.sqrt(2.0) / eps)
        one = round_half_up(2.0 / (0.2888 * eps * eps))
        return self.op("iGELU", [x], f"{name}_iGELU", b=b, one=one)

    def layer_norm(self, x: str, name: str, target: float = LN_TARGET) -> str:
        """iLayerNorm with gamma in [0.8, 1.2] and beta in [-0.2, 0.2] at scale `target` (int32 weights
        pre-scaled by D = 2^14); the scale is reduced until no calibration value leaves int8
        (the kernel does not clamp: the int8 store would wrap)."""
        width = self.shape(x)[-1]
        gamma = self.rng.uniform(0.8, 1.2, width)
        beta = self.rng.uniform(-0.2, 0.2, width)
        attrs = ILayerNormAttrs(log2d=LN_LOG2D, n_levels=256)
        scale = float(target)
        for _ in range(64):
            weight = np.floor(gamma * scale * (1 << LN_LOG2D) + 0.5).astype(np.int64)
            bias = np.floor(beta * scale * (1 << LN_LOG2D) + 0.5).astype(np.int64)
            y = i_layer_norm(attrs, self.values[x], weight, bias)
            peak = max(int(y.max()) / 127, int(y.min()) / -128, 0)
            if peak <= 1:
                break
            scale *= 0.97 / peak
        else:
            raise ValueError(f"{name}: no LayerNorm scale keeps the output in int8")
        node = f"{name}_iLayerNorm"
        weight_name = self.constant(f"{node}.weight", weight, np.int32)
        bias_name = self.constant(f"{node}.bias", bias, np.int32)
        return self.op("iLayerNorm", [x, weight_name, bias_name], node, D=[float(1 << LN_LOG2D)], n_levels=[256.0])

    def no_norm(self, x: str, name: str) -> str:
        """iNoNorm y = ((x*w + b) * mul) >> 14 with per-feature int8 w in [48, 80] (gamma 0.75..1.25 at
        scale 64) and int32 b; mul is the largest value for which no int8 input can leave int8 (the
        kernel neither rounds nor clamps), so the output scale is about 0.7..0.8 of the input's.

        w and b have shape [E] and broadcast over the rows (MobileBERT's NoNorm is per feature); the
        golden executor broadcasts, while Deeploy's Snitch kernel `SnitchiNoNorm_s8_s8` indexes
        weights and bias per element, so a Deeploy deployment would tile them to [S, E]."""
        if self.dtypes[x] != np.dtype(np.int8):
            raise ValueError(f"{name}: iNoNorm needs an int8 input, got {self.dtypes[x]}")
        width = self.shape(x)[-1]
        weights = self.rng.integers(48, 81, width)
        limit = 16 * 64
        bias = np.clip(np.rint(self.rng.normal(0.0, 0.1 * 64 * TARGET_STD, width)), -limit, limit).astype(np.int64)
        worst = 128 * int(np.abs(weights).max()) + int(np.abs(bias).max())
        mul = (127 << NONORM_LOG2D) // worst
        node = f"{name}_iNoNorm"
        weight_name = self.constant(f"{node}.weight", weights, np.int8)
        bias_name = self.constant(f"{node}.bias", bias, np.int32)
        return self.op(
            "iNoNorm",
            [x, weight_name, bias_name],
            node,
            D=[float(1 << NONORM_LOG2D)],
            mul=[float(mul)],
            n_levels=[256.0],
        )

    # ------------------------------------------------------------ the model

    def value_info(self, name: str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, _onnx_type(self.dtypes[name]), list(self.shapes[name]))

    def rename(self, old: str, new: str) -> str:
        """Rename an activation that no node consumes yet (used for the graph output)."""
        self._claim(new)
        for node in self.nodes:
            if old in node.input:
                raise ValueError(f"'{old}' is already consumed")
            for index, output in enumerate(node.output):
                if output == old:
                    node.output[index] = new
        for table in (self.values, self.dtypes, self.shapes):
            table[new] = table.pop(old)
        self._activations[self._activations.index(old)] = new
        return new

    def model(self, outputs: Sequence[str], doc: str = "", metadata: dict[str, str] | None = None) -> onnx.ModelProto:
        io = set(self.inputs) | set(outputs)
        constants = {t.name for t in self.initializers}
        internal = [n for n in self._activations if n not in io and n not in constants]
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [self.value_info(n) for n in self.inputs],
            [self.value_info(n) for n in outputs],
            initializer=self.initializers,
            value_info=[self.value_info(n) for n in internal],
        )
        model = helper.make_model(
            graph,
            producer_name="deploy.models",
            producer_version="1",
            opset_imports=[helper.make_opsetid("", 10), helper.make_opsetid("PACTOps", 1)],
            doc_string=doc,
        )
        model.ir_version = 7
        if metadata:
            helper.set_model_props(model, dict(sorted(metadata.items())))
        return model
