"""Numpy integer reference of the Graph, bit-exact with Deeploy's Generic C kernels."""

from deploy.golden.executor import GoldenRun, NodeRecord, run_golden
from deploy.golden.registry import GOLDEN_KERNELS

__all__ = ["GOLDEN_KERNELS", "GoldenRun", "NodeRecord", "run_golden"]
