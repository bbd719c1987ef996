"""Transferability of a source and malleability of a target (eq. 1).

For a row of PGF values with p positive and n negative values and N targets, Delta+ = (1 - exp(-p/N)) / p * sum(positive) and Delta- likewise; 0
when p (n) is 0. The logistic factor rewards breadth (how many tasks move) while the
average keeps magnitude. Malleability is the same formula down a column. Exact zeros
count as neither sign; NaN cells (ceiling) are not used.

N is a setting: ``"all"`` (default) is the number of target tasks of the matrix, as in
the paper's eqs. 1 and 3-4, even when the diagonal is left out of the sums; this is what
reproduces the released data's mean Delta+ (0.041 / 0.043 / 0.120 for 3B / 7B / 32B).
``"used"`` counts only the cells that entered the sums (0.043 / 0.045 / 0.127).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import polars as pl

from tasktransfer.analysis.pgf import Matrix

TRANSFER_COLUMNS = ("task", "delta_pos", "delta_neg", "n_pos", "n_neg")


def logistic_average(values: np.ndarray, n_total: int) -> tuple[float, float, int, int]:
    """(Delta+, Delta-, p, n) of one row of finite PGF values with N = ``n_total``.

    >>> logistic_average(np.array([0.5, -0.25, 0.0]), 3)[2:]
    (1, 1)
    """
    pos = values[values > 0]
    neg = values[values < 0]
    p, n = int(pos.size), int(neg.size)
    d_pos = (1 - math.exp(-p / n_total)) / p * math.fsum(pos.tolist()) if p else 0.0
    d_neg = (1 - math.exp(-n / n_total)) / n * math.fsum(neg.tolist()) if n else 0.0
    return d_pos, d_neg, p, n


def used_mask(matrix: Matrix, include_diagonal: bool) -> np.ndarray:
    """Boolean mask of cells that enter transfer quantities: finite, and off-diagonal unless asked."""
    mask = np.isfinite(matrix.values)
    if not include_diagonal:
        for i, s in enumerate(matrix.sources):
            if s in matrix.targets:
                mask[i, matrix.targets.index(s)] = False
    return mask


NMode = Literal["all", "used"]


def _scores(values: np.ndarray, mask: np.ndarray, names: tuple[str, ...], n_mode: NMode) -> pl.DataFrame:
    if n_mode not in ("all", "used"):
        raise ValueError(f"`logistic_n` is {n_mode!r}; expected one of: all, used")
    rows = []
    for i, name in enumerate(names):
        used = values[i][mask[i]]
        n_total = int(used.size) if n_mode == "used" else values.shape[1]
        d_pos, d_neg, p, n = logistic_average(used, n_total) if used.size else (0.0, 0.0, 0, 0)
        rows.append((name, d_pos, d_neg, p, n))
    schema = dict(zip(TRANSFER_COLUMNS, [pl.String, pl.Float64, pl.Float64, pl.Int64, pl.Int64]))
    return pl.DataFrame(rows, schema=schema, orient="row")


def transferability(matrix: Matrix, include_diagonal: bool = False, n_mode: NMode = "all") -> pl.DataFrame:
    """Delta+/- of each source task over its row (columns task, delta_pos, delta_neg, n_pos, n_neg)."""
    return _scores(matrix.values, used_mask(matrix, include_diagonal), matrix.sources, n_mode)


def malleability(matrix: Matrix, include_diagonal: bool = False, n_mode: NMode = "all") -> pl.DataFrame:
    """Delta+/- of each target task over its column (same columns as :func:`transferability`)."""
    mask = used_mask(matrix, include_diagonal)
    return _scores(matrix.values.T, mask.T, matrix.targets, n_mode)
