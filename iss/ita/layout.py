"""Memory images of the tiles ITA reads and writes (docs/ita-layouts.md).

Every operand tile is 64 x 64 int8, row-major, contiguous (4 KiB, row stride 64 B): that is what the
HWPE streamers fetch and write. Matrices are kept tile-major: tile (i, j) of an R x C matrix starts
at byte ((i * C/64) + j) * 4096. Biases are 64 values per tile, packed 24-bit little-endian (192 B).
"""
from __future__ import annotations

import numpy as np

from .requant import BIAS_MAX, BIAS_MIN

TILE = 64


def _check(m: np.ndarray) -> None:
    if m.ndim != 2 or m.shape[0] % TILE or m.shape[1] % TILE:
        raise ValueError(f"tiling: shape {m.shape} is not a 2-D multiple of {TILE} x {TILE}")


def to_tiles(m) -> np.ndarray:
    """R x C matrix -> (R/64, C/64, 64, 64) array whose C-order bytes are the tile-major image."""
    m = np.asarray(m)
    _check(m)
    r, c = m.shape[0] // TILE, m.shape[1] // TILE
    return np.ascontiguousarray(m.reshape(r, TILE, c, TILE).transpose(0, 2, 1, 3))


def from_tiles(t) -> np.ndarray:
    """Inverse of to_tiles."""
    t = np.asarray(t)
    r, c = t.shape[:2]
    return np.ascontiguousarray(t.transpose(0, 2, 1, 3).reshape(r * TILE, c * TILE))


def pack_bias24(b) -> bytes:
    """Biases -> 3 bytes each, little-endian two's complement (PyITA `pack_hex_24b`)."""
    b = np.asarray(b, dtype=np.int64).ravel()
    if b.size and (b.min() < BIAS_MIN or b.max() > BIAS_MAX):
        raise ValueError("bias outside the signed 24-bit range")
    u = (b & 0xFFFFFF).astype("<u4").view(np.uint8).reshape(-1, 4)
    return u[:, :3].tobytes()


def unpack_bias24(buf: bytes) -> np.ndarray:
    """Inverse of pack_bias24 (int32 values)."""
    u = np.frombuffer(buf, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
    v = u[:, 0] | (u[:, 1] << 8) | (u[:, 2] << 16)
    return np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.int32)
