"""The cluster's integer C kernels (firmware/kernels/) against the deploy flow's golden executor.

One harness program holds every case: seeded random inputs (and edge cases: saturation, int32
wrap-around, negative values, sizes not divisible by the core count) as initialised arrays in
L1 or L2, one phase per case in which every compute core calls the kernel with its core index,
then a hardware barrier. It is built once and run with 8, 3 and 1 compute cores; each output,
read back with `read_symbol`, must equal the golden kernel applied to the same inputs
(stored in the output's C type, as the executor stores it), exactly. Every output array is
framed by guard elements and pre-filled with a value the expected result does not contain, so
an element no core wrote, or a write past either end, is caught.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from deploy.golden import GOLDEN_KERNELS
from deploy.golden.requant import requant_bounds
from deploy.lowering import residual_tables
from deploy.operators import quantized as q
from deploy.operators import standard as s
from iss.cluster import Cluster
from iss.config import ClusterConfig
from toolchain import build_program
from toolchain.build import find_compiler

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "firmware" / "kernels"
GUARD = 4  # guard elements on each side of every output
CTYPE = {
    np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.int16): "int16_t",
    np.dtype(np.uint16): "uint16_t", np.dtype(np.int32): "int32_t", np.dtype(np.uint32): "uint32_t",
}  # fmt: skip


@dataclass
class Case:
    name: str
    family: str
    call: str  # C statement(s); `core`, `cores` in scope
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # symbol -> expected (typed)


class Harness:
    """Collects arrays and kernel calls, then writes the C program."""

    def __init__(self):
        self.decls: list[str] = []
        self.cases: list[Case] = []
        self.fills: dict[str, int] = {}  # output symbol -> pre-fill value
        self.l1_bytes = 0

    def array(self, name: str, values, dtype, l1: bool = False) -> str:
        values = np.asarray(values)
        dtype = np.dtype(dtype)
        assert np.array_equal(values.astype(np.int64).astype(dtype).astype(np.int64), values.astype(np.int64)), name
        flat = values.astype(dtype).ravel()
        body = ",".join(str(int(v)) for v in flat) if flat.size else "0"
        self._declare(name, dtype, max(flat.size, 1), f"{{{body}}}", l1)
        return name

    def output(self, case: Case, name: str, expected: np.ndarray, l1: bool = False, initial=None) -> str:
        """An output array with guards, pre-filled with a value absent from `expected` (or holding
        `initial`, for in-place calls); returns the C expression of its first element."""
        expected = np.asarray(expected)
        info = np.iinfo(expected.dtype)
        present = set(np.unique(expected).tolist())
        candidates = itertools.chain((0x5A, -0x5B, 0x3C, 77, 1, -1, 0), range(info.min, info.max + 1))
        fill = next(v for v in candidates if v not in present and info.min <= v <= info.max)
        body = [fill] * expected.size if initial is None else np.asarray(initial).ravel().tolist()
        values = [fill] * GUARD + body + [fill] * GUARD
        self._declare(name, expected.dtype, len(values), "{" + ",".join(map(str, values)) + "}", l1)
        case.outputs[name] = expected
        self.fills[name] = fill
        return f"({name} + {GUARD})"

    def scratch(self, name: str, dtype, count: int, l1: bool = True) -> str:
        self._declare(name, np.dtype(dtype), count, None, l1)
        return name

    def _declare(self, name, dtype, count, init, l1):
        section = ("SNRT_L1 " if init is not None else "SNRT_L1_BSS ") if l1 else ""
        if l1:
            self.l1_bytes += count * dtype.itemsize
        align = "__attribute__((aligned(8))) "
        self.decls.append(f"{section}{align}{CTYPE[dtype]} {name}[{count}]" + (f" = {init};" if init else ";"))

    def add(self, case: Case) -> Case:
        self.cases.append(case)
        return case

    def source(self) -> str:
        phases = "\n".join(
            f"    /* {c.name} */\n    if (compute) {{ {c.call} }}\n    snrt_cluster_hw_barrier();" for c in self.cases
        )
        return (
            '#include <stdint.h>\n#include "snrt.h"\n#include "kernels.h"\n\n'
            + "\n".join(self.decls)
            + "\n\nint main(void) {\n"
            + "    const uint32_t core = snrt_cluster_core_idx(), cores = snrt_cluster_compute_core_num();\n"
            + "    const int compute = snrt_is_compute_core();\n"
            + "    (void)core; (void)cores;\n"
            + phases
            + "\n    return 0;\n}\n"
        )


def stored(result, dtype) -> np.ndarray:
    """The golden result as the executor stores it: a C store into the output type (wraps)."""
    return np.asarray(result).astype(np.int64).astype(dtype)


def golden(op: str, attrs, *inputs):
    return GOLDEN_KERNELS[op](attrs, *inputs)


RNG = np.random.default_rng(20250611)


def rand(shape, dtype, low=None, high=None):
    info = np.iinfo(dtype)
    low = info.min if low is None else low
    high = info.max if high is None else high
    return RNG.integers(low, high, size=shape, endpoint=True).astype(dtype)


def c_list(values) -> str:
    return ",".join(str(int(v)) for v in values)


# ---------------------------------------------------------------- the cases


def build_cases() -> Harness:
    h = Harness()
    _gemm_cases(h)
    _requant_cases(h)
    _add_cases(h)
    _softmax_cases(h)
    _norm_cases(h)
    _residual_cases(h)
    _activation_cases(h)
    _mean_cases(h)
    _shape_cases(h)
    return h


def _matmul_case(h, name, batch, M, N, K, a_dtype=np.int8, broadcast_b=False, l1=True, a_extreme=False):
    a = rand((batch, M, K), a_dtype)
    b = rand((1 if broadcast_b else batch, K, N), np.int8)
    if a_extreme:  # the largest products: -128 * -128 everywhere in part of the operands
        a[..., : K // 2] = np.iinfo(a_dtype).min if a_dtype == np.int8 else 255
        b[:, : K // 2, :] = -128
    expected = stored(golden("MatMul", s.MatMulAttrs(), a, b[0] if broadcast_b else b), np.int32)
    case = h.add(Case(name, "gemm", ""))
    sfx = "u8s8" if a_dtype == np.uint8 else "s8s8"
    y = h.output(case, f"{name}_y", expected, l1=l1)
    case.call = (
        f"kernel_matmul_{sfx}({h.array(f'{name}_a', a, a_dtype, l1)}, {h.array(f'{name}_b', b, np.int8, l1)}, {y}, "
        f"{batch}, {M}, {N}, {K}, {M * K}, {0 if broadcast_b else K * N}, core, cores);"
    )


def _gemm_case(h, name, M, N, K, trans_a, trans_b, alpha, beta, c_shape, l1=False):
    a = rand((K, M) if trans_a else (M, K), np.int8)
    b = rand((N, K) if trans_b else (K, N), np.int8)
    attrs = s.GemmAttrs(alpha=alpha, beta=beta, trans_a=trans_a, trans_b=trans_b)
    case = h.add(Case(name, "gemm", ""))
    if c_shape is None:
        expected = golden("Gemm", attrs, a, b)
        c_arg, strides = "0", (0, 0)
    else:
        c = rand(c_shape, np.int32, -(2**20), 2**20)
        expected = golden("Gemm", attrs, a, b, c)
        c_arg = h.array(f"{name}_c", c, np.int32, l1)
        full = np.broadcast_to(np.arange(int(np.prod(c_shape))).reshape(c_shape), (M, N))
        strides = (int(full[1, 0] - full[0, 0]) if M > 1 else 0, int(full[0, 1] - full[0, 0]) if N > 1 else 0)
    y = h.output(case, f"{name}_y", stored(expected, np.int32), l1=l1)
    case.call = (
        f"kernel_gemm_s8s8({h.array(f'{name}_a', a, np.int8, l1)}, {h.array(f'{name}_b', b, np.int8, l1)}, {c_arg}, "
        f"{y}, {M}, {N}, {K}, {int(trans_a)}, {int(trans_b)}, {alpha}, {beta}, {strides[0]}, {strides[1]}, "
        "core, cores);"
    )


def _gemm_cases(h):
    _matmul_case(h, "matmul_odd", 1, 13, 29, 37)  # 8-blocks, a 4-block and a 1-column tail; odd M
    _matmul_case(h, "matmul_batched_weight", 3, 10, 20, 16, broadcast_b=True, l1=False, a_extreme=True)
    _matmul_case(h, "matmul_u8_heads", 4, 16, 8, 16, a_dtype=np.uint8, a_extreme=True)  # softmax(QK) @ V
    _matmul_case(h, "matmul_one_row", 1, 1, 70, 24)  # fewer row pairs than cores: columns split
    _matmul_case(h, "matmul_64", 1, 64, 64, 64, l1=False)
    _gemm_case(h, "gemm_alpha_beta", 11, 19, 23, False, False, 2, 3, (11, 19))
    _gemm_case(h, "gemm_transb_bias", 1, 10, 128, False, True, 1, 1, (10,), l1=True)  # ICCT classifier
    _gemm_case(h, "gemm_transa_wrap", 9, 13, 7, True, False, 2**20 + 7, -5, (9, 1))  # alpha*acc wraps int32
    _gemm_case(h, "gemm_transab_scalar", 6, 9, 17, True, True, -3, 7, ())
    _gemm_case(h, "gemm_no_c", 5, 12, 1, False, True, 1, 1, None, l1=True)


def _requant_case(h, name, x, in_dtype, mul, add, log2d, n_levels, signed, mul_axis_shape, l1=False):
    """mul/add are 1-D arrays laid out per channel; *_axis_shape is their broadcast shape for the golden."""
    attrs = q.RequantShiftAttrs(log2d=log2d, n_levels=n_levels, signed=signed)
    mul_shape, add_shape, inner = mul_axis_shape
    out_dtype = np.int8 if signed else np.uint8
    expected = stored(golden("RequantShift", attrs, x, mul.reshape(mul_shape), add.reshape(add_shape)), out_dtype)
    case = h.add(Case(name, "requant", ""))
    y = h.output(case, f"{name}_y", expected, l1=l1)
    sfx = {np.dtype(np.int32): "s32", np.dtype(np.int8): "s8", np.dtype(np.uint8): "u8"}[np.dtype(in_dtype)]
    case.call = (
        f"kernel_requant_shift_{sfx}({h.array(f'{name}_x', x, in_dtype, l1)}, {y}, {x.size}, "
        f"{h.array(f'{name}_mul', mul, np.int32)}, {mul.size}, {h.array(f'{name}_add', add, np.int32)}, {add.size}, "
        f"{inner}, {log2d}, {n_levels}, {int(signed)}, core, cores);"
    )


def _requant_cases(h):
    x = rand((7, 23), np.int32)
    x.flat[:4] = [2**31 - 1, -(2**31), 0, -1]
    _requant_case(h, "rqs_tensor_wrap", x, np.int32, rand(1, np.int32, 1, 2**12), rand(1, np.int32), 16, 256, True,
                  ((), (), 1))  # fmt: skip
    x = rand((13, 11), np.int32, -(2**18), 2**18)
    _requant_case(h, "rqs_per_row_unsigned", x, np.int32, rand(13, np.int32, -200, 200),
                  rand(13, np.int32, -(2**22), 2**22), 14, 256, False, ((13, 1), (13, 1), 11), l1=True)  # fmt: skip
    x = rand((1, 3, 5, 7), np.int32, -(2**16), 2**16)
    _requant_case(h, "rqs_per_batch_mixed", x, np.int32, rand(3, np.int32, 1, 300), rand(1, np.int32, -999, 999),
                  12, 256, True, ((1, 3, 1, 1), (), 35))  # fmt: skip
    x = rand((9, 6), np.int32, -5000, 5000)
    _requant_case(h, "rqs_last_axis_narrow", x, np.int32, rand(6, np.int32, -9, 9), rand(6, np.int32, -99, 99), 0, 16,
                  True, ((6,), (6,), 1))  # fmt: skip
    _requant_case(h, "rqs_s8_in", rand((3, 41), np.int8), np.int8, np.array([23456]), np.array([-(2**15)]), 16, 256,
                  True, ((), (), 1), l1=True)  # fmt: skip
    # in place, int8 -> int8
    x, mul, add = rand((5, 23), np.int8), rand(5, np.int32, -999, 999), rand(5, np.int32, -(2**12), 2**12)
    attrs = q.RequantShiftAttrs(log2d=6, n_levels=256, signed=True)
    case = h.add(Case("rqs_s8_in_place", "requant", ""))
    expected = stored(golden("RequantShift", attrs, x, mul[:, None], add[:, None]), np.int8)
    y = h.output(case, "rqs_s8_in_place_y", expected, initial=x, l1=True)
    case.call = (
        f"kernel_requant_shift_s8({y}, {y}, 115, {h.array('rqs_s8_in_place_mul', mul, np.int32)}, 5, "
        f"{h.array('rqs_s8_in_place_add', add, np.int32)}, 5, 23, 6, 256, 1, core, cores);"
    )
    _requant_case(h, "rqs_u8_in_unsigned", rand((4, 19), np.uint8), np.uint8, rand(4, np.int32, 1, 2000),
                  np.full(1, 5), 8, 256, False, ((4, 1), (), 19))  # fmt: skip


def _add_case(h, name, a, b, b_len, sfx, l1=False):
    expected = stored(golden("Add", s.AddAttrs(), a, b), np.int32)
    case = h.add(Case(name, "add", ""))
    y = h.output(case, f"{name}_y", expected, l1=l1)
    case.call = (
        f"kernel_add_{sfx}({h.array(f'{name}_a', a, a.dtype, l1)}, {h.array(f'{name}_b', b, b.dtype, l1)}, {y}, "
        f"{a.size}, {b_len}, core, cores);"
    )


def _add_cases(h):
    _add_case(h, "add_s8s8", rand((1, 5, 5, 5), np.int8), rand((1, 5, 5, 5), np.int8), 125, "s8s8", l1=True)
    _add_case(h, "add_s8u8", rand((3, 43), np.int8), rand((3, 43), np.uint8), 129, "s8u8")
    _add_case(h, "add_u8u8_row", rand((6, 17), np.uint8), rand((17,), np.uint8), 17, "u8u8")
    a = rand((1, 13, 19), np.int32)
    a.flat[:3] = [2**31 - 1, -(2**31), 2**31 - 1]
    b = rand((19,), np.int32)
    b[:3] = [1, -1, 2**31 - 1]
    _add_case(h, "add_s32_bias_wrap", a, b, 19, "s32s32", l1=True)
    _add_case(h, "add_s32_scalar", rand((37,), np.int32), np.array([-(2**31)], np.int32), 1, "s32s32")
    # in place (out == a): a GEMM result plus its bias
    a, b = rand((5, 21), np.int32), rand((21,), np.int32)
    case = h.add(Case("add_s32_bias_in_place", "add", ""))
    y = h.output(case, "add_s32_bias_in_place_y", stored(golden("Add", s.AddAttrs(), a, b), np.int32), initial=a)
    case.call = f"kernel_add_s32s32({y}, {h.array('add_s32_bias_in_place_b', b, np.int32)}, {y}, 105, 21, core, cores);"


def _softmax_cases(h):
    x = rand((3, 8, 11), np.int8)
    x[0, 0] = 5  # a constant row
    x[0, 1] = [-128] * 10 + [127]  # the widest spread
    for name, coeffs, scratch in (
        ("isoftmax_regular", (1, 345, 62395, 255), False),
        ("isoftmax_attention_scratch", (1, 173, 15599, 127), True),
        ("isoftmax_log2_1_wraps", (3, 17, 1000, 1), False),  # -x~/log2 wraps in int8, z clipped
    ):
        attrs = q.ISoftmaxAttrs(*coeffs, n_levels=256)
        expected = stored(golden("iSoftmax", attrs, x), np.uint8)
        case = h.add(Case(name, "softmax", ""))
        y = h.output(case, f"{name}_y", expected, l1=True)
        scr = h.scratch(f"{name}_scratch", np.uint32, 8 * 11) if scratch else "0"
        case.call = (
            f"kernel_isoftmax_s8u8({h.array(f'{name}_x', x, np.int8)}, {y}, 24, 11, {c_list(coeffs)}, 256, {scr}, "
            "0, core, cores);"
        )
    x = rand((2, 13, 37), np.int8)
    x[0, 0] = -128
    x[0, 1] = np.where(np.arange(37) % 2, 127, -128)
    expected = stored(golden("ITAMax", q.ITAMaxAttrs(n_levels=256), x), np.uint8)
    case = h.add(Case("itamax", "softmax", ""))
    y = h.output(case, "itamax_y", expected)
    case.call = f"kernel_itamax_s8u8({h.array('itamax_x', x, np.int8, True)}, {y}, 26, 37, 256, 0, core, cores);"
    # edge rows: all equal (at both ends of int8 and in between), one value above the rest, each
    # term of the exponent (differences 0..255); n = 1..3 (no unrolled group), 4, 5, 130; fewer
    # rows than cores; other n_levels; n = 200: the store pass through the table of outputs
    for n, n_levels in ((1, 256), (2, 256), (3, 17), (4, 256), (5, 128), (130, 256), (200, 256)):
        rows = [np.full(n, -128), np.full(n, 127), np.full(n, 5), rand(n, np.int8), rand(n, np.int8, -128, -100)]
        if n > 1:
            rows.append(np.where(np.arange(n) == n - 1, 127, -128))
            rows.append(127 - np.arange(n) * 255 // (n - 1))
        x = np.stack(rows).astype(np.int8)
        name = f"itamax_edges_n{n}"
        expected = stored(golden("ITAMax", q.ITAMaxAttrs(n_levels=n_levels), x), np.uint8)
        case = h.add(Case(name, "softmax", ""))
        y = h.output(case, f"{name}_y", expected)
        case.call = f"kernel_itamax_s8u8({h.array(f'{name}_x', x, np.int8)}, {y}, {len(rows)}, {n}, {n_levels}, 0, core, cores);"
    for name, rows, n, width in (("itapartialmax_tail", 10, 37, 16), ("itapartialmax_w8", 9, 64, 8)):
        x = rand((rows, n), np.int8, -128, 60)
        x[0, -1] = 127  # a trailing column above the running max: negative difference
        x[1] = -128
        x[2, :width] = -128
        x[2, width:] = 127
        x[3, : 2 * width] = -128  # the running max stays at its start value (-128, not QuantLib's -127) ...
        x[3, width + 1] = -112  # ... until a group whose rescaling shift depends on it
        attrs = q.ITAPartialMaxAttrs(n_levels=256, group_width=width)
        expected = stored(golden("ITAPartialMax", attrs, x), np.uint8)
        case = h.add(Case(name, "softmax", ""))
        y = h.output(case, f"{name}_y", expected, l1=True)
        case.call = (
            f"kernel_itapartialmax_s8u8({h.array(f'{name}_x', x, np.int8)}, {y}, {rows}, {n}, {width}, 256, "
            "0, core, cores);"
        )
    _softmax_xor_cases(h)


def _softmax_xor_cases(h):
    """out_xor 0x80: every softmax stores q ^ 0x80 (the int8 q - 128 ITA's A.V reads), through each
    of its store passes (ITAMax: shifts for short rows, the table of outputs for long ones)."""
    x = rand((20, 11), np.int8)
    attrs = q.ISoftmaxAttrs(1, 345, 62395, 255, n_levels=256)
    case = h.add(Case("isoftmax_xor", "softmax", ""))
    y = h.output(case, "isoftmax_xor_y", stored(golden("iSoftmax", attrs, x), np.uint8) ^ 0x80)
    case.call = f"kernel_isoftmax_s8u8({h.array('isoftmax_xor_x', x, np.int8)}, {y}, 20, 11, 1, 345, 62395, 255, 256, 0, 128, core, cores);"
    for n in (37, 130):
        x = rand((11, n), np.int8)
        x[0] = 127 - np.arange(n) * 255 // (n - 1)  # every exponent
        name = f"itamax_xor_n{n}"
        case = h.add(Case(name, "softmax", ""))
        y = h.output(case, f"{name}_y", stored(golden("ITAMax", q.ITAMaxAttrs(n_levels=256), x), np.uint8) ^ 0x80)
        case.call = f"kernel_itamax_s8u8({h.array(f'{name}_x', x, np.int8)}, {y}, 11, {n}, 256, 128, core, cores);"
    x = rand((10, 37), np.int8, -128, 60)
    x[0, -1] = 127
    attrs = q.ITAPartialMaxAttrs(n_levels=256, group_width=16)
    case = h.add(Case("itapartialmax_xor", "softmax", ""))
    y = h.output(case, "itapartialmax_xor_y", stored(golden("ITAPartialMax", attrs, x), np.uint8) ^ 0x80)
    case.call = f"kernel_itapartialmax_s8u8({h.array('itapartialmax_xor_x', x, np.int8)}, {y}, 10, 37, 16, 256, 128, core, cores);"


def _norm_cases(h):
    for name, dtype, w_range, b_range, log2d in (
        ("ilayernorm_s8", np.int8, 2**15, 2**20, 14),
        ("ilayernorm_u8", np.uint8, 2**15, 2**20, 10),
        ("ilayernorm_wide_weights", np.int8, 2**30, 2**30, 40),  # int64 products and shift
    ):
        x = rand((13, 24), dtype)
        x[0] = 100  # constant row: std = isqrt(1)
        x[1, ::2], x[1, 1::2] = np.iinfo(dtype).min, np.iinfo(dtype).max
        w = rand(24, np.int32, -w_range, w_range)
        b = rand(24, np.int32, -b_range, b_range)
        attrs = q.ILayerNormAttrs(log2d=log2d, n_levels=256)
        expected = stored(golden("iLayerNorm", attrs, x, w, b), np.int8)
        case = h.add(Case(name, "norm", ""))
        y = h.output(case, f"{name}_y", expected, l1=True)
        sfx = "u8" if dtype == np.uint8 else "s8"
        case.call = (
            f"kernel_ilayernorm_{sfx}({h.array(f'{name}_x', x, dtype)}, {h.array(f'{name}_w', w, np.int32)}, "
            f"{h.array(f'{name}_b', b, np.int32)}, {y}, 13, 24, {log2d}, core, cores);"
        )
    x = rand((11, 20), np.int8)
    x[0] = 0
    x[1] = -128
    w = rand(20, np.int32, -(2**16), 2**16)
    expected = stored(golden("iRMSNorm", q.IRMSNormAttrs(log2d=8, n_levels=256), x, w), np.int8)
    assert expected.min() == -128 and expected.max() == 127  # clamping is exercised
    case = h.add(Case("irmsnorm", "norm", ""))
    y = h.output(case, "irmsnorm_y", expected)
    case.call = (
        f"kernel_irmsnorm_s8({h.array('irmsnorm_x', x, np.int8, True)}, {h.array('irmsnorm_w', w, np.int32)}, {y}, "
        "11, 20, 8, core, cores);"
    )
    for name, w_shape, b_shape, mul, log2d in (("inonorm", (9, 13), (13,), 425, 16),
                                               ("inonorm_row_weights_wrap", (13,), (13,), 2**25, 3),
                                               ("inonorm_scalar_weight_shift_past_31", (1,), (9, 13), 7, 35)):  # fmt: skip
        x = rand((1, 9, 13), np.int8)
        w = rand(w_shape, np.int8)
        b = rand(b_shape, np.int32, -(2**20), 2**20)
        attrs = q.INoNormAttrs(log2d=log2d, mul=mul, n_levels=256)
        expected = stored(golden("iNoNorm", attrs, x, w, b), np.int8)
        case = h.add(Case(name, "norm", ""))
        y = h.output(case, f"{name}_y", expected)
        case.call = (
            f"kernel_inonorm_s8({h.array(f'{name}_x', x, np.int8)}, {h.array(f'{name}_w', w, np.int8)}, {w.size}, "
            f"{h.array(f'{name}_b', b, np.int32)}, {b.size}, {y}, {x.size}, {mul}, {log2d}, core, cores);"
        )


def _residual_case(h, name, a, b, rqs, norm=None, in_place=False):
    """kernel_residual_requant_lut: RQ_y(RQ_a(a) + RQ_b(b)) [-> iNoNorm] against the golden chain,
    with the tables deploy/lowering/residual_tables.py builds; rqs: three (mul, add, log2d,
    n_levels, signed), norm: (w, bias, mul, log2d) or None. in_place: y is a."""
    results = []
    for x, (mul, add, log2d, n_levels, signed) in zip((a, b, None), rqs):
        attrs = q.RequantShiftAttrs(log2d=log2d, n_levels=n_levels, signed=signed)
        x = results[0] + results[1] if x is None else x
        out_dtype = np.int8 if signed else np.uint8
        results.append(stored(golden("RequantShift", attrs, x, np.array(mul), np.array(add)), out_dtype).astype(np.int32))
    expected = stored(results[2], np.int8 if rqs[2][4] else np.uint8)
    table_a, table_b = (residual_tables.input_table(x.dtype, *rq) for x, rq in zip((a, b), rqs))
    bounds = [requant_bounds(*rq[3:]) for rq in rqs[:2]]
    table_y = residual_tables.output_table(*bounds, *rqs[2])
    tables = (f"{h.array(f'{name}_ta', table_a, np.uint8)}, {h.array(f'{name}_tb', table_b, np.uint8)}, "
              f"{h.array(f'{name}_ty', table_y, np.int8)}")  # fmt: skip
    norm_args = "0, 1, 0, 1, 0"
    if norm is not None:
        w, bias, mul, log2d = norm
        attrs = q.INoNormAttrs(log2d=log2d, mul=mul, n_levels=256)
        expected = stored(golden("iNoNorm", attrs, expected, w, bias), np.int8)
        w_mul, b_mul = (residual_tables.scaled_norm(t, mul) for t in (w, bias))
        norm_args = (f"{h.array(f'{name}_w', w_mul, np.int32)}, {w.size}, {h.array(f'{name}_nb', b_mul, np.int32)}, "
                     f"{bias.size}, {log2d}")  # fmt: skip
    case = h.add(Case(name, "residual", ""))
    if in_place:
        y = h.output(case, f"{name}_y", expected, initial=a.astype(expected.dtype))
        a_arg = y
    else:
        y, a_arg = h.output(case, f"{name}_y", expected), h.array(f"{name}_a", a, a.dtype)
    case.call = (
        f"kernel_residual_requant_lut({a_arg}, {h.array(f'{name}_b', b, b.dtype)}, {y}, {a.size}, {tables}, "
        f"{norm_args}, core, cores);"
    )


def _residual_cases(h):
    edges = np.concatenate([np.arange(-128, 128), rand(45, np.int8)]).astype(np.int8)  # 301 values
    a, b = edges.reshape(7, 43), np.roll(edges, 77).reshape(7, 43)
    typical = ((181, 0, 8, 256, True), (201, 1 << 7, 8, 256, True), (97, -(3 << 6), 7, 256, True))
    _residual_case(h, "residual_s8s8", a, b, typical)
    # every clip bound hit, unsigned outputs, log2d 0 (no rounding) and past 31 (the sign)
    saturating = ((3000, -5, 5, 256, True), (1, 0, 0, 200, False), (-300, 100, 6, 256, False))
    _residual_case(h, "residual_saturating", a, b, saturating)
    _residual_case(h, "residual_shift_past_31", a, b, ((5, 0, 33, 256, True), (-7, 2**31 - 1, 32, 256, True), typical[2]))
    _residual_case(h, "residual_s8u8_narrow", a, rand((7, 43), np.uint8), ((5, 3, 2, 16, True), (9, -40, 4, 256, False),
                   (255, 0, 9, 256, True)))  # fmt: skip
    _residual_case(h, "residual_u8u8", rand((7, 43), np.uint8), rand((7, 43), np.uint8), ((1, 0, 0, 256, False),
                   (2, 0, 1, 256, False), (1, -256, 2, 256, True)))  # fmt: skip
    for name, w_shape, mul, log2d in (("residual_norm_per_feature", (43,), 425, 10),
                                      ("residual_norm_per_element_wrap", (7, 43), 2**25, 3),
                                      ("residual_norm_scalar", (1,), 3, 40)):  # fmt: skip
        norm = (rand(w_shape, np.int8), rand(w_shape[-1:] if len(w_shape) > 1 else w_shape, np.int32, -(2**20), 2**20),
                mul, log2d)  # fmt: skip
        _residual_case(h, name, a, b, typical, norm)
    norm = (rand((43,), np.int8), rand((43,), np.int32, -(2**20), 2**20), 425, 10)
    _residual_case(h, "residual_norm_in_place", a, b, typical, norm, in_place=True)
    _residual_case(h, "residual_short", a[:1, :5], b[:1, :5], saturating)  # fewer elements than cores


def _activation_cases(h):
    x_all = np.concatenate([np.arange(-128, 128), rand(45, np.int8)]).astype(np.int8)  # 301 values
    for name, b, one in (("igelu_icct", -40, 1743), ("igelu_edges", -128, -32768), ("igelu_positive_b", 5, 32767)):
        expected = stored(golden("iGELU", q.IGELUAttrs(b=b, one=one), x_all), np.int32)
        case = h.add(Case(name, "activation", ""))
        y = h.output(case, f"{name}_y", expected, l1=True)
        case.call = f"kernel_igelu_s8s32({h.array(f'{name}_x', x_all, np.int8)}, {y}, 301, {b}, {one}, core, cores);"
    for name, one_over_six, six, three in (
        ("ihardswish", 33, 1530, 765),
        ("ihardswish_negative_six", 7, -5, 3),
        ("ihardswish_wrap", 3, 2**31 - 1, 2**31 - 10),
    ):
        attrs = q.IHardswishAttrs(one_over_six=one_over_six, six=six, three=three)
        expected = stored(golden("iHardswish", attrs, x_all), np.int32)
        case = h.add(Case(name, "activation", ""))
        y = h.output(case, f"{name}_y", expected)
        case.call = (
            f"kernel_ihardswish_s8s32({h.array(f'{name}_x', x_all, np.int8, True)}, {y}, 301, {one_over_six}, {six}, "
            f"{three}, core, cores);"
        )


def _mean_cases(h):
    for name, shape, axes, keepdims in (
        ("mean_icct", (1, 12, 19), (1,), False),  # length 12: rounded division
        ("mean_pow2_shift", (3, 16, 5), (1,), False),  # length 16: (acc + 8) >> 4
        ("mean_pow2_keepdims", (3, 16, 5), (-2,), True),  # keepdims: rounded division
        ("mean_two_axes", (2, 4, 4, 3), (1, 2), False),
        ("mean_last_axis", (7, 9), (1,), True),
    ):
        x = rand(shape, np.int8)
        x.reshape(-1)[: shape[-1]] = -128
        attrs = q.IntegerMeanAttrs(axes=axes, keepdims=keepdims)
        expected = stored(golden("IntegerMean", attrs, x), np.int8)
        ax = sorted(a % len(shape) for a in axes)
        outer, reduce_len = int(np.prod(shape[: ax[0]])), int(np.prod([shape[a] for a in ax]))
        inner = int(np.prod(shape[ax[-1] + 1 :]))
        case = h.add(Case(name, "mean", ""))
        y = h.output(case, f"{name}_y", expected)
        case.call = (
            f"kernel_integer_mean_s8({h.array(f'{name}_x', x, np.int8, True)}, {y}, {outer}, {reduce_len}, {inner}, "
            f"{int(keepdims)}, core, cores);"
        )


def _shape_cases(h):
    for name, shape, perm, dtype in (
        ("transpose_bshd_bhsd", (1, 16, 8, 8), (0, 2, 1, 3), np.int8),  # [B,S,H,D] -> [B,H,S,D]
        ("transpose_k_t", (1, 16, 8, 8), (0, 2, 3, 1), np.int8),  # K^T per head
        ("transpose_icct", (1, 12, 8, 8), (0, 3, 2, 1), np.uint8),
        ("transpose_2d_s32", (13, 7), (1, 0), np.int32),
        ("transpose_3d_s16", (5, 6, 7), (2, 0, 1), np.int16),
        ("transpose_5d", (2, 3, 1, 5, 3), (4, 1, 3, 0, 2), np.int8),
    ):
        x = rand(shape, dtype)
        expected = stored(golden("Transpose", s.TransposeAttrs(perm=perm), x), dtype)
        case = h.add(Case(name, "shape", ""))
        y = h.output(case, f"{name}_y", expected, l1=dtype == np.int8)
        shp = h.array(f"{name}_shape", np.array(shape), np.uint32)
        prm = h.array(f"{name}_perm", np.array(perm), np.uint32)
        case.call = (
            f"kernel_transpose({h.array(f'{name}_x', x, dtype)}, {y}, {len(shape)}, {shp}, {prm}, "
            f"{np.dtype(dtype).itemsize}, core, cores);"
        )
    for name, shape, axis, indices, dtype in (
        ("gather_head", (1, 3, 7, 11), 1, np.array(2), np.int8),  # one head of [B,H,S,P]
        ("gather_rows_negative", (5, 9), 0, np.array([-1, 0, 2, 2, -5]), np.int32),
        ("gather_inner_axis", (2, 3, 6, 5), 2, np.array([5, -6, 1]), np.int16),
    ):
        x = rand(shape, dtype)
        expected = stored(golden("Gather", s.GatherAttrs(axis=axis), x, indices), dtype)
        case = h.add(Case(name, "shape", ""))
        y = h.output(case, f"{name}_y", expected, l1=True)
        idx = h.array(f"{name}_idx", indices.reshape(-1), np.int32)
        outer, inner = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1 :]))
        case.call = (
            f"kernel_gather({h.array(f'{name}_x', x, dtype)}, {y}, {idx}, {indices.size}, {outer}, {shape[axis]}, "
            f"{inner}, {np.dtype(dtype).itemsize}, core, cores);"
        )


HARNESS = build_cases()
CASES = {c.name: c for c in HARNESS.cases}


# ---------------------------------------------------------------- build once, run per core count


@pytest.fixture(scope="module")
def kernel_elf(tmp_path_factory):
    out = tmp_path_factory.mktemp("kernels")
    source = out / "kernels_harness.c"
    source.write_text(HARNESS.source())
    assert HARNESS.l1_bytes < 96 * 1024, "harness L1 data must leave room for the stacks"
    return build_program([source, *sorted(KERNELS.glob("*.c"))], out / "kernels_harness.elf", include_dirs=[KERNELS])


_RUNS: dict[int, Cluster] = {}


@pytest.fixture(scope="module")
def run_with(kernel_elf):
    def run(cores: int) -> Cluster:
        if cores not in _RUNS:
            cluster = Cluster(kernel_elf, ClusterConfig(cores=cores), sink=open("/dev/null", "w"))
            report = cluster.run()
            assert report.exit_code == 0
            _RUNS[cores] = cluster
        return _RUNS[cores]

    yield run
    _RUNS.clear()


def check(cluster: Cluster, case: Case) -> None:
    for name, expected in case.outputs.items():
        raw = np.frombuffer(cluster.read_symbol(name), dtype=expected.dtype)
        fill = np.array(HARNESS.fills[name]).astype(expected.dtype)
        assert np.all(raw[:GUARD] == fill) and np.all(raw[-GUARD:] == fill), f"{name}: write outside the output"
        actual = raw[GUARD:-GUARD].reshape(expected.shape)
        bad = np.flatnonzero(actual != expected)
        assert bad.size == 0, (
            f"{case.name}: {bad.size}/{expected.size} differ; first at {bad[:5]}: "
            f"got {actual.ravel()[bad[:5]]}, want {expected.ravel()[bad[:5]]}"
        )


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_matches_golden_on_8_cores(run_with, name):
    check(run_with(8), CASES[name])


@pytest.mark.parametrize("cores", [1, 3])
def test_partitioning_is_correct_for_any_core_count(run_with, cores):
    cluster = run_with(cores)
    for case in CASES.values():
        check(cluster, case)


def test_every_golden_kernel_family_is_covered():
    families = {
        "RequantShift": "rqs_", "Gemm": "gemm_", "MatMul": "matmul_", "Add": "add_", "iSoftmax": "isoftmax",
        "ITAMax": "itamax", "ITAPartialMax": "itapartialmax", "iLayerNorm": "ilayernorm", "iRMSNorm": "irmsnorm",
        "iNoNorm": "inonorm", "iGELU": "igelu", "iHardswish": "ihardswish", "IntegerMean": "mean_",
        "Transpose": "transpose_", "Gather": "gather_",
    }  # fmt: skip
    assert set(families) <= set(GOLDEN_KERNELS)
    for op, prefix in families.items():
        assert any(name.startswith(prefix) for name in CASES), op


def _loop_of(disassembly: str, function: str) -> list[str]:
    """Mnemonics of the innermost loop of `function`: from the target of its backward branch to the branch."""
    body = disassembly.split(f"<{function}>:\n", 1)[1].split("\n\n", 1)[0]
    insns = []
    for line in body.splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and re.fullmatch(r"\s*[0-9a-f]+:", fields[0]):
            insns.append((int(fields[0].strip(" :"), 16), fields[2].strip(), fields[3] if len(fields) > 3 else ""))
    for address, op, args in insns:
        target = re.search(r"\b([0-9a-f]+) <", args)
        if op.startswith("b") and target and int(target.group(1), 16) < address:
            return [o for a, o, _ in insns if int(target.group(1), 16) <= a <= address]
    raise AssertionError(f"no loop in {function}")


def test_gemm_inner_loop_is_46_instructions_for_16_macs(kernel_elf):
    """The 2x8 int8 tile's k loop: 2 A loads, 8 B loads, 16 mul, 16 add, 3 pointer steps, 1 branch
    (2.875 instructions per MAC), with all 16 accumulators in registers."""
    gcc = Path(find_compiler())
    objdump = gcc.with_name(gcc.name.replace("gcc", "objdump"))
    text = subprocess.run([str(objdump), "-d", str(kernel_elf)], capture_output=True, text=True, check=True).stdout
    for function, load in (("tile_2x8_s8", "lb"), ("tile_2x8_u8", "lbu")):
        loop = _loop_of(text, function)
        counts = {op: loop.count(op) for op in set(loop)}
        assert len(loop) == 46, (function, counts)
        assert counts["mul"] == 16 and counts["add"] == 16 + 3, (function, counts)
        assert counts["lb"] + counts.get("lbu", 0) == 10 and counts[load] >= 2, (function, counts)
        assert not {"lw", "sw"} & set(loop), f"{function}: accumulators spilled to the stack"
