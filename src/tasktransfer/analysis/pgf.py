"""Perfection Gap Factor (eq. 2) per seed and aggregated over seeds.

From accuracy counts the PGF is computed in exact rational arithmetic: accuracies are
k/m, so a seed-mean such as (0 + 0 - 1/90 + 1/90)/4 is exactly 0 and has no sign,
where floats would give -1.3e-17 and invent a negative clique. Released float PGFs go
through the same aggregation with a tolerance that snaps |mean| below it to 0.

A base accuracy at or above U_j makes the denominator ~eps (App. B: near-ceiling
baselines amplify PGF without bound); such cells are flagged and left empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Sequence

import numpy as np
import polars as pl

from tasktransfer.analysis.io import BASE
from tasktransfer.analysis.settings import AnalysisSettings

SEED_COLUMNS = (
    "model", "source", "seed", "target", "n_correct", "n_total", "base_n_correct", "base_n_total",
    "acc_ft", "acc_base", "upper_bound", "pgf", "ceiling",
)
SUMMARY_COLUMNS = ("model", "source", "target", "pgf_mean", "pgf_std", "n", "pgf_min", "pgf_max", "n_ceiling", "ceiling")


def pgf_exact(k_ft: int, m_ft: int, k_base: int, m_base: int, upper: Fraction, eps: Fraction) -> Fraction | None:
    """Exact PGF of one cell from counts, or ``None`` when the base is at/above ``upper``.

    >>> pgf_exact(3, 4, 2, 4, Fraction(1), Fraction(0))
    Fraction(1, 2)
    """
    base = Fraction(k_base, m_base)
    gap = upper - base
    if gap <= 0:
        return None
    return (Fraction(k_ft, m_ft) - base) / (gap + eps)


def _seed_key(seed: str) -> tuple[int, float | str]:
    """Sort seeds numerically when they are numbers (seed 10 after seed 9)."""
    try:
        return (0, float(seed))
    except ValueError:
        return (1, seed)


@dataclass(frozen=True)
class Summary:
    """Seed statistics of one cell; ``mean`` is exact when the inputs were exact."""

    mean: float | None
    std: float | None
    n: int
    min: float | None
    max: float | None


def summarise(values: Sequence[Fraction | float], zero_tolerance: float = 0.0) -> Summary:
    """Mean, sample std (ddof=1; None for n < 2), n, min and max of one cell's seed values.

    Fractions are averaged exactly; floats with ``math.fsum`` and a mean with
    |mean| <= ``zero_tolerance`` is reported as exactly 0.0 (no sign).
    """
    n = len(values)
    if n == 0:
        return Summary(None, None, 0, None, None)
    if all(isinstance(v, Fraction) for v in values):
        mean_q = sum(values, Fraction(0)) / n
        var = sum(((v - mean_q) ** 2 for v in values), Fraction(0)) / (n - 1) if n > 1 else None
        mean = float(mean_q)
        std = math.sqrt(float(var)) if var is not None else None
    else:
        floats = [float(v) for v in values]
        mean = math.fsum(floats) / n
        if abs(mean) <= zero_tolerance:
            mean = 0.0
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in floats) / (n - 1)) if n > 1 else None
    return Summary(mean, std, n, float(min(values)), float(max(values)))


def _base_lookup(acc: pl.DataFrame) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(model, seed, target) -> base counts; seed '' is a single base used for every seed."""
    base = acc.filter(pl.col("source") == BASE)
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for model, seed, target, k, m in base.select("model", "seed", "target", "n_correct", "n_total").iter_rows():
        out[(model, seed, target)] = (k, m)
    by_model: dict[str, set[str]] = {}
    for model, seed, _ in out:
        by_model.setdefault(model, set()).add(seed)
    for model, seeds in by_model.items():
        if "" in seeds and len(seeds) > 1:
            raise ValueError(
                f"accuracies: model {model!r} has both an unseeded base evaluation and per-seed ones "
                f"({', '.join(sorted(s for s in seeds if s))}); give one or the other"
            )
    return out


def compute_pgf(acc: pl.DataFrame, settings: AnalysisSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-seed PGF (long) and its seed summary from a validated accuracy table.

    Returns ``(per_seed, summary)`` with :data:`SEED_COLUMNS` and :data:`SUMMARY_COLUMNS`.
    Raises ``ValueError`` when a fine-tuned cell has no matching base evaluation, or on a
    ceiling cell when ``settings.ceiling == "error"``.
    """
    base = _base_lookup(acc)
    eps = Fraction(str(settings.eps))
    ft = acc.filter(pl.col("source") != BASE)
    rows = []
    exact: dict[tuple[str, str, str], list[Fraction]] = {}
    ceilings: dict[tuple[str, str, str], int] = {}
    for model, source, seed, target, k, m in ft.select(
        "model", "source", "seed", "target", "n_correct", "n_total"
    ).iter_rows():
        key = (model, seed, target) if (model, seed, target) in base else (model, "", target)
        if key not in base:
            raise ValueError(
                f"accuracies: no base evaluation for model={model!r} target={target!r} seed={seed!r} "
                f"(needed by source={source!r}); expected a row with source='base' and seed '' or {seed!r}"
            )
        kb, mb = base[key]
        upper_f = settings.upper(target)
        value = pgf_exact(k, m, kb, mb, Fraction(str(upper_f)), eps)
        cell = (model, source, target)
        exact.setdefault(cell, [])
        ceilings.setdefault(cell, 0)
        if value is None:
            if settings.ceiling == "error":
                raise ValueError(
                    f"accuracies: base accuracy {kb}/{mb} of model={model!r} on target={target!r} is at or above "
                    f"its upper bound U={upper_f}; the PGF is undefined (set analysis.ceiling: flag to skip the cell)"
                )
            ceilings[cell] += 1
        else:
            exact[cell].append(value)
        rows.append(
            (model, source, seed, target, k, m, kb, mb, k / m, kb / mb, upper_f,
             None if value is None else float(value), value is None)
        )
    schema = dict(zip(SEED_COLUMNS, [pl.String] * 4 + [pl.Int64] * 4 + [pl.Float64] * 4 + [pl.Boolean]))
    per_seed = pl.DataFrame(rows, schema=schema, orient="row")
    per_seed = _sort(per_seed, settings.tasks, with_seed=True)
    summary_rows = []
    for (model, source, target), values in exact.items():
        s = summarise(values)
        nc = ceilings[(model, source, target)]
        summary_rows.append((model, source, target, s.mean, s.std, s.n, s.min, s.max, nc, nc > 0))
    return per_seed, _sort(_summary_frame(summary_rows), settings.tasks)


def _summary_frame(rows: Iterable[tuple]) -> pl.DataFrame:
    schema = dict(
        zip(SUMMARY_COLUMNS, [pl.String] * 3 + [pl.Float64] * 2 + [pl.Int64] + [pl.Float64] * 2 + [pl.Int64, pl.Boolean])
    )
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def summarise_float_pgf(per_seed: pl.DataFrame, model: str, settings: AnalysisSettings) -> pl.DataFrame:
    """Seed summary of released float PGFs (columns source, seed, target, pgf) for ``model``."""
    groups: dict[tuple[str, str], list[float]] = {}
    for source, target, value in per_seed.select("source", "target", "pgf").iter_rows():
        groups.setdefault((source, target), []).append(value)
    rows = []
    for (source, target), values in groups.items():
        s = summarise(values, settings.zero_tolerance)
        rows.append((model, source, target, s.mean, s.std, s.n, s.min, s.max, 0, False))
    return _sort(_summary_frame(rows), settings.tasks)


def _sort(df: pl.DataFrame, tasks: Sequence[str], with_seed: bool = False) -> pl.DataFrame:
    """Deterministic order: model, then source/target in task order, then seed."""
    order = {t: i for i, t in enumerate(tasks)}
    df = df.with_columns(
        pl.col("source").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_s"),
        pl.col("target").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_t"),
    )
    keys = ["model", "_s", "source", "_t", "target"]
    if with_seed:
        seeds = sorted(set(df["seed"].to_list()), key=_seed_key)
        df = df.with_columns(
            pl.col("seed").replace_strict({s: i for i, s in enumerate(seeds)}, return_dtype=pl.Int64).alias("_k")
        )
        keys.append("_k")
    return df.sort(keys).drop([c for c in ("_s", "_t", "_k") if c in df.columns])


@dataclass(frozen=True)
class Matrix:
    """A labelled source x target matrix (NaN = no value, e.g. a ceiling cell)."""

    values: np.ndarray
    sources: tuple[str, ...]
    targets: tuple[str, ...]

    def square(self) -> "Matrix":
        """Restrict to tasks that are both a source and a target (needed for cliques)."""
        common = [t for t in self.sources if t in self.targets]
        rows = [self.sources.index(t) for t in common]
        cols = [self.targets.index(t) for t in common]
        return Matrix(self.values[np.ix_(rows, cols)], tuple(common), tuple(common))

    def to_frame(self) -> pl.DataFrame:
        """Wide frame: a ``source`` column, then one column per target."""
        data = {"source": list(self.sources)}
        for j, t in enumerate(self.targets):
            data[t] = [None if np.isnan(v) else float(v) for v in self.values[:, j]]
        return pl.DataFrame(data, schema={"source": pl.String, **{t: pl.Float64 for t in self.targets}})


def to_matrix(summary: pl.DataFrame, tasks: Sequence[str], value: str = "pgf_mean") -> Matrix:
    """Pivot one model's summary into a :class:`Matrix` in ``tasks`` order."""
    sources = [t for t in tasks if t in set(summary["source"].to_list())]
    targets = [t for t in tasks if t in set(summary["target"].to_list())]
    si = {t: i for i, t in enumerate(sources)}
    ti = {t: i for i, t in enumerate(targets)}
    values = np.full((len(sources), len(targets)), np.nan)
    for s, t, v in summary.select("source", "target", value).iter_rows():
        if v is not None:
            values[si[s], ti[t]] = v
    return Matrix(values, tuple(sources), tuple(targets))


def seed_values(per_seed: pl.DataFrame, settings: AnalysisSettings) -> dict[tuple[str, str], list[Fraction | float]]:
    """Per-cell seed values of one model, exact when counts are present, in seed order.

    Frames from :func:`compute_pgf` carry counts, so values are recomputed exactly
    (ceiling cells skipped); released frames carry floats, snapped to 0 within the tolerance.
    """
    out: dict[tuple[str, str], list[Fraction | float]] = {}
    if "base_n_correct" in per_seed.columns:
        eps = Fraction(str(settings.eps))
        cols = ("source", "target", "n_correct", "n_total", "base_n_correct", "base_n_total", "upper_bound")
        for s, t, k, m, kb, mb, u in per_seed.select(cols).iter_rows():
            v = pgf_exact(k, m, kb, mb, Fraction(str(u)), eps)
            out.setdefault((s, t), [])
            if v is not None:
                out[(s, t)].append(v)
    else:
        tol = settings.zero_tolerance
        for s, t, v in per_seed.select("source", "target", "pgf").iter_rows():
            out.setdefault((s, t), []).append(0.0 if abs(v) <= tol else v)
    return out
