"""Honest per-cell statistics: paired tests on questions, FDR control, bootstrap CIs.

Four seeds cannot carry a significance claim (an exact Wilcoxon signed-rank test on 4
values never goes below p = 0.125 two-sided), so the primary test is per question:
for each fine-tuned/base pair on the same question the discordant outcomes are counted,
pooled over seeds, and tested with the exact McNemar (binomial) test. p-values are
corrected over a model's cells with Benjamini-Hochberg or -Yekutieli (cells that share
a checkpoint are dependent). Confidence intervals of the seed-mean PGF resample
questions (``scipy.stats.bootstrap``), not seeds. The Wilcoxon column is still reported,
with the smallest p it could ever reach, so nobody reads it as evidence it cannot be.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np
import polars as pl
from scipy import stats as st

from tasktransfer.analysis.io import BASE
from tasktransfer.analysis.settings import AnalysisSettings, Significance

SIG_COLUMNS = (
    "source", "target", "n_questions", "n_seeds", "ft_only_correct", "base_only_correct", "p_value", "q_value",
    "significant", "ci_low", "ci_high",
)
SEED_TEST_COLUMNS = ("source", "target", "n_seeds", "n_nonzero", "wilcoxon_p", "wilcoxon_min_p")


def wilcoxon_min_p(n_nonzero: int) -> float:
    """Smallest two-sided p an exact signed-rank test on ``n_nonzero`` values can give: 2 / 2**n.

    >>> wilcoxon_min_p(4), wilcoxon_min_p(6)
    (0.125, 0.03125)
    """
    return min(1.0, 2.0 / 2**n_nonzero) if n_nonzero > 0 else 1.0


def seed_tests(values: dict[tuple[str, str], Sequence[Fraction | float]]) -> pl.DataFrame:
    """Exact Wilcoxon signed-rank test of each cell's seed values against 0, with its floor."""
    rows = []
    for (source, target), vals in values.items():
        x = np.array([float(v) for v in vals])
        nz = int(np.count_nonzero(x))
        p = float(st.wilcoxon(x, method="exact").pvalue) if nz > 0 else 1.0
        rows.append((source, target, int(x.size), nz, p, wilcoxon_min_p(nz)))
    schema = dict(zip(SEED_TEST_COLUMNS, [pl.String, pl.String, pl.Int64, pl.Int64, pl.Float64, pl.Float64]))
    return pl.DataFrame(rows, schema=schema, orient="row")


def mcnemar_p(ft_only: int, base_only: int) -> float:
    """Exact two-sided McNemar p: binomial test of the discordant pairs against 1/2."""
    n = ft_only + base_only
    return 1.0 if n == 0 else float(st.binomtest(ft_only, n, 0.5).pvalue)


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """BH / BY adjusted p-values (q-values), or the p-values unchanged for ``none``."""
    if method == "none" or p_values.size == 0:
        return p_values.copy()
    return st.false_discovery_control(p_values, method=method)


def _paired_arrays(ft: pl.DataFrame, base: pl.DataFrame, seeds: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(base, ft) correctness arrays of shape (n_seeds, n_questions), aligned on question_id.

    ``ft`` holds one cell's fine-tuned rows, ``base`` the target's base rows (seed '' or
    per seed). Questions missing from any evaluation of the cell are dropped (pairing
    needs both sides).
    """
    wide_ft = ft.pivot(on="seed", index="question_id", values="correct").rename({s: f"f{s}" for s in seeds})
    per_seed_base = set(base["seed"].to_list()) != {""}
    if per_seed_base:
        wide_base = base.pivot(on="seed", index="question_id", values="correct")
        missing = [s for s in seeds if s not in wide_base.columns]
        if missing:
            raise ValueError(f"predictions: no base predictions for seed(s) {missing}")
        wide_base = wide_base.select("question_id", *[pl.col(s).alias(f"b{s}") for s in seeds])
    else:
        wide_base = base.select("question_id", *[pl.col("correct").alias(f"b{s}") for s in seeds])
    joined = wide_ft.join(wide_base, on="question_id", how="inner").drop_nulls().sort("question_id")
    ft_arr = joined.select([f"f{s}" for s in seeds]).to_numpy().T.astype(np.int8)
    base_arr = joined.select([f"b{s}" for s in seeds]).to_numpy().T.astype(np.int8)
    return base_arr, ft_arr


def _pgf_stat(base_arr: np.ndarray, ft_arr: np.ndarray, upper: float, eps: float):
    """Seed-mean PGF of a resample given as question indices (shape (..., n_questions)).

    Resampling indices keeps every seed and the base paired on the same questions and
    lets scipy gather one array instead of one per seed.
    """

    n = base_arr.shape[1]

    def stat(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.intp)
        lead = idx.shape[:-1]
        rows = idx.reshape(-1, n)
        # How often each question is drawn, per resample: accuracies become one matmul.
        flat = rows + n * np.arange(rows.shape[0])[:, None]
        counts = np.bincount(flat.ravel(), minlength=rows.size).reshape(rows.shape).astype(np.float64)
        acc_b = counts @ base_arr.T / n  # (resamples, n_seeds)
        acc_f = counts @ ft_arr.T / n
        gap = upper - acc_b
        with np.errstate(divide="ignore", invalid="ignore"):
            pgf = np.where(gap > 0, (acc_f - acc_b) / (gap + eps), np.nan)
        return pgf.mean(axis=-1).reshape(lead)

    return stat


def cell_tests(preds: pl.DataFrame, model: str, settings: AnalysisSettings) -> pl.DataFrame:
    """Per-cell McNemar tests (pooled over seeds), FDR-corrected, with bootstrap CIs of the PGF.

    ``preds`` holds per-question correctness (see :func:`io.read_predictions`). The
    diagonal is tested too but left out of the correction unless ``include_diagonal``.
    Returns :data:`SIG_COLUMNS`, one row per (source, target) with fine-tuned predictions.
    """
    sig: Significance = settings.significance
    p = preds.filter(pl.col("model") == model)
    if p.height == 0:
        raise ValueError(f"predictions: no rows for model {model!r}")
    rng = np.random.default_rng(sig.seed)
    groups = p.partition_by(["source", "target"], as_dict=True)
    cells = sorted(
        (k for k in groups if k[0] != BASE),
        key=lambda k: (settings.tasks.index(k[0]) if k[0] in settings.tasks else len(settings.tasks),
                       settings.tasks.index(k[1]) if k[1] in settings.tasks else len(settings.tasks), k),
    )
    rows = []
    for source, target in cells:
        ft = groups[(source, target)]
        base = groups.get((BASE, target))
        if base is None:
            raise ValueError(f"predictions: no base predictions for model={model!r} target={target!r}")
        seeds = sorted(ft["seed"].unique().to_list())
        base_arr, ft_arr = _paired_arrays(ft, base, seeds)
        n_q = base_arr.shape[1]
        if n_q == 0:
            raise ValueError(f"predictions: no question of model={model!r} target={target!r} is shared by all seeds and base")
        ft_only = int(((ft_arr == 1) & (base_arr == 0)).sum())
        base_only = int(((ft_arr == 0) & (base_arr == 1)).sum())
        pval = mcnemar_p(ft_only, base_only)
        lo = hi = None
        if n_q >= 2:
            idx = np.arange(n_q)
            stat = _pgf_stat(base_arr.astype(np.float64), ft_arr.astype(np.float64), settings.upper(target), settings.eps)
            if np.isfinite(stat(idx)):
                res = st.bootstrap(
                    (idx,), stat, n_resamples=sig.n_bootstrap, vectorized=True,
                    confidence_level=sig.confidence, method="percentile", rng=rng,
                )
                lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
                lo, hi = (None if np.isnan(lo) else lo), (None if np.isnan(hi) else hi)
        rows.append([source, target, n_q, len(seeds), ft_only, base_only, pval, None, False, lo, hi])
    tested = [i for i, r in enumerate(rows) if settings.include_diagonal or r[0] != r[1]]
    q = adjust(np.array([rows[i][6] for i in tested]), sig.correction)
    for i, qv in zip(tested, q):
        rows[i][7] = float(qv)
        rows[i][8] = bool(qv <= sig.alpha)
    schema = dict(
        zip(SIG_COLUMNS, [pl.String, pl.String, pl.Int64, pl.Int64, pl.Int64, pl.Int64, pl.Float64, pl.Float64,
                          pl.Boolean, pl.Float64, pl.Float64])
    )
    return pl.DataFrame(rows, schema=schema, orient="row")


def significance_mask(tests: pl.DataFrame, sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Boolean source x target mask of significant cells (untested cells are not significant)."""
    mask = np.zeros((len(sources), len(targets)), dtype=bool)
    si = {t: i for i, t in enumerate(sources)}
    ti = {t: i for i, t in enumerate(targets)}
    for s, t, ok in tests.select("source", "target", "significant").iter_rows():
        if s in si and t in ti:
            mask[si[s], ti[t]] = bool(ok)
    return mask
