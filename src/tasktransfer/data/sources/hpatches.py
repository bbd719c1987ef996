"""HPatches full sequences: six PPM images per sequence and homographies from image 1.

Layout (``hpatches-sequences-release.tar.gz`` extracted)::

    <root>/<seq>/1.ppm .. 6.ppm       (seq = i_* illumination, v_* viewpoint)
    <root>/<seq>/H_1_2 .. H_1_6       3x3 text matrices

``H_1_k`` maps homogeneous pixel coordinates (x right, y down) of image 1 to image k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MissingField, MissingFile


def list_sequences(root: Path) -> list[str]:
    """Sequence folder names (those with a ``1.ppm``), sorted."""
    if not root.is_dir():
        raise FileNotFoundError(f"HPatches root {root} is not a directory")
    seqs = sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "1.ppm").exists())
    if not seqs:
        raise FileNotFoundError(f"no HPatches sequences (<seq>/1.ppm) under {root}")
    return seqs


def read_homography(path: Path, record: str) -> np.ndarray:
    """The 3x3 matrix in ``path``; :class:`MissingField` if it is not 3x3 finite numbers."""
    if not path.is_file():
        raise MissingFile("homography file not found", file=path, record=record)
    try:
        h = np.loadtxt(path, dtype=np.float64)
    except ValueError as exc:
        raise MissingField(f"not a numeric matrix ({exc})", file=path, record=record) from None
    if h.shape != (3, 3) or not np.isfinite(h).all() or abs(h[2, 2]) < 1e-12:
        raise MissingField(f"expected a finite 3x3 homography, got shape {h.shape}", file=path, record=record)
    return h


def warp(h: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """Apply homography ``h`` to pixel ``(x, y)``."""
    v = h @ np.array([x, y, 1.0])
    return float(v[0] / v[2]), float(v[1] / v[2])
