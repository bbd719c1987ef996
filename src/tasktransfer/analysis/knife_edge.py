"""Knife-edge cells: signs that rest on rounding or on a single seed.

Cliques and p/n counts depend only on signs, so a cell whose seed-mean is exactly zero
(or whose sign flips when one seed is left out) can create or destroy a clique. The
report lists each such cell with its seed values, the naive float mean a plain
``numpy.mean`` gives, the leave-one-seed-out signs, and the cliques that would appear or
vanish if the cell took the other reading.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np
import polars as pl

from tasktransfer.analysis.cliques import all_cliques
from tasktransfer.analysis.pgf import Matrix, summarise

KNIFE_COLUMNS = (
    "source", "target", "pgf_mean", "naive_float_mean", "seed_values", "zero_by_tolerance",
    "loso_sign_change", "loso_signs", "cliques_gained", "cliques_lost",
)


def _sign(x: float | Fraction | None) -> int:
    if x is None:
        return 0
    return (x > 0) - (x < 0)


def _sym(s: int) -> str:
    return {1: "+", -1: "-", 0: "0"}[s]


def _clique_diff(matrix: Matrix, i: int, j: int, value: float, base: dict[str, list[list[str]]]) -> tuple[str, str]:
    """Cliques gained and lost when cell (i, j) of the square ``matrix`` is set to ``value``."""
    values = matrix.values.copy()
    values[i, j] = value
    alt = all_cliques(Matrix(values, matrix.sources, matrix.targets))
    gained, lost = [], []
    for sign in ("positive", "negative"):
        old = {tuple(c) for c in base[sign]}
        new = {tuple(c) for c in alt[sign]}
        gained += [f"{sign}:{'+'.join(c)}" for c in sorted(new - old)]
        lost += [f"{sign}:{'+'.join(c)}" for c in sorted(old - new)]
    return "; ".join(gained), "; ".join(lost)


def knife_edge_report(
    values: dict[tuple[str, str], Sequence[Fraction | float]],
    matrix: Matrix,
    *,
    zero_tolerance: float = 1e-12,
    leave_one_seed_out: bool = True,
    include_diagonal: bool = False,
) -> pl.DataFrame:
    """List the knife-edge cells of one model (columns :data:`KNIFE_COLUMNS`).

    ``values`` are the per-cell seed values (from :func:`pgf.seed_values`), ``matrix`` the
    seed-mean matrix the cliques are computed on. A cell is reported when its naive float
    mean has a different sign than its exact (or tolerance-snapped) mean, or, with
    ``leave_one_seed_out``, when dropping any one seed changes the sign of the mean.
    """
    sq = matrix.square()
    index = {t: k for k, t in enumerate(sq.sources)}
    base = all_cliques(sq)
    rows = []
    for (source, target), vals in values.items():
        if (source == target and not include_diagonal) or not vals:
            continue
        mean = summarise(list(vals), zero_tolerance).mean
        exact_sign = _sign(mean)
        floats = np.array([float(v) for v in vals])
        naive = float(np.mean(floats))
        tol_flip = _sign(naive) != exact_sign
        loso = []
        if leave_one_seed_out and len(vals) > 1:
            for k in range(len(vals)):
                rest = [v for q, v in enumerate(vals) if q != k]
                loso.append(_sign(summarise(rest, zero_tolerance).mean))
        loso_flip = any(s != exact_sign for s in loso)
        if not (tol_flip or loso_flip):
            continue
        gained: list[str] = []
        lost: list[str] = []
        if source in index and target in index:
            alternatives = {s for s in ([_sign(naive)] if tol_flip else []) + loso if s != exact_sign}
            for alt in sorted(alternatives):
                probe = naive if (tol_flip and alt == _sign(naive)) else alt * max(abs(naive), 1e-9)
                g, lo = _clique_diff(sq, index[source], index[target], probe, base)
                gained += [x for x in g.split("; ") if x]
                lost += [x for x in lo.split("; ") if x]
        rows.append(
            (
                source, target, mean, naive, ";".join(f"{float(v):.6g}" for v in vals), tol_flip, loso_flip,
                ",".join(_sym(s) for s in loso), "; ".join(dict.fromkeys(gained)), "; ".join(dict.fromkeys(lost)),
            )
        )
    schema = dict(
        zip(KNIFE_COLUMNS, [pl.String, pl.String, pl.Float64, pl.Float64, pl.String, pl.Boolean, pl.Boolean] + [pl.String] * 3)
    )
    order = {t: k for k, t in enumerate(matrix.sources)}
    torder = {t: k for k, t in enumerate(matrix.targets)}
    rows.sort(key=lambda r: (order.get(r[0], len(order)), torder.get(r[1], len(torder))))
    return pl.DataFrame(rows, schema=schema, orient="row")
