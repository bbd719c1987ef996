"""Per-cell statistics: which tests answer which claim, FDR control, confidence intervals.

A claim that fine-tuning on *i* changes accuracy on *j* is about the training procedure,
so its replicates are the seeds and the questions: :func:`paired_tests.procedure_test`
(crossed seeds x questions, the default ``significance.test: seeds_questions``) decides
every "significant" mark. Whether *these* adapters differ from the base is a question
about given models, with questions as the unit: :func:`paired_tests.adapters_test`
(exact sign-flip on seed-averaged paired questions) is reported beside it under its own
name (``adapters_*`` columns). The earlier pooled McNemar test is available as
``pooled_mcnemar`` for comparison only; it is anti-conservative.

p-values are corrected over a model's off-diagonal cells with Benjamini-Hochberg or
-Yekutieli (cells sharing a checkpoint or a base are dependent). The Wilcoxon column over
seed values is still reported with the smallest p it could ever reach, beside a t-test
over the same seed values (which needs no per-question data, e.g. for released PGFs).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import numpy as np
import polars as pl
from scipy import stats as st

from tasktransfer.analysis.io import BASE
from tasktransfer.analysis.paired_tests import (
    MeanSquares, adapters_test, mean_squares, pooled_mcnemar, procedure_test, seed_prior,
)
from tasktransfer.analysis.settings import AnalysisSettings, Significance

SIG_COLUMNS = (
    "source", "target", "n_questions", "n_seeds", "test", "acc_diff", "df", "p_value", "q_value", "significant",
    "diff_ci_low", "diff_ci_high", "pgf_ci_low", "pgf_ci_high",
    "adapters_p_value", "adapters_q_value", "adapters_significant", "adapters_pgf_ci_low", "adapters_pgf_ci_high",
    "ft_only_correct", "base_only_correct",
)
_SIG_TYPES = (
    [pl.String, pl.String, pl.Int64, pl.Int64, pl.String] + [pl.Float64] * 4 + [pl.Boolean] + [pl.Float64] * 4
    + [pl.Float64, pl.Float64, pl.Boolean, pl.Float64, pl.Float64, pl.Int64, pl.Int64]
)
SEED_TEST_COLUMNS = (
    "source", "target", "n_seeds", "n_nonzero", "wilcoxon_p", "wilcoxon_min_p", "mean", "t_p_value", "t_q_value",
    "t_significant",
)


def wilcoxon_min_p(n_nonzero: int) -> float:
    """Smallest two-sided p an exact signed-rank test on ``n_nonzero`` values can give: 2 / 2**n.

    >>> wilcoxon_min_p(4), wilcoxon_min_p(6)
    (0.125, 0.03125)
    """
    return min(1.0, 2.0 / 2**n_nonzero) if n_nonzero > 0 else 1.0


def seed_tests(
    values: dict[tuple[str, str], Sequence[Fraction | float]], correction: str = "by", alpha: float = 0.05,
    include_diagonal: bool = False,
) -> pl.DataFrame:
    """Tests of each cell's seed values against 0: exact Wilcoxon (with its floor) and a t-test.

    The t-test treats the seeds as the replicates and the evaluation questions as fixed
    (the base's own question sampling is not in it), which is all per-seed values allow;
    its q-values are corrected over the off-diagonal cells (the diagonal too with
    ``include_diagonal``). Fewer than two seeds, or identical values, give no t p-value
    unless all are 0 (p = 1).
    """
    rows = []
    for (source, target), vals in values.items():
        x = np.array([float(v) for v in vals])
        nz = int(np.count_nonzero(x))
        p = float(st.wilcoxon(x, method="exact").pvalue) if nz > 0 else 1.0
        if nz == 0:
            tp = 1.0
        elif x.size < 2 or np.ptp(x) == 0:
            tp = float("nan")
        else:
            tp = float(st.ttest_1samp(x, 0.0).pvalue)
        rows.append([source, target, int(x.size), nz, p, wilcoxon_min_p(nz), float(x.mean()), tp, None, False])
    tested = [i for i, r in enumerate(rows) if include_diagonal or r[0] != r[1]]
    _correct(rows, SEED_TEST_COLUMNS, tested, "t_p_value", "t_q_value", "t_significant", correction, alpha)
    types = [pl.String, pl.String, pl.Int64, pl.Int64, pl.Float64, pl.Float64, pl.Float64, pl.Float64, pl.Float64, pl.Boolean]
    return pl.DataFrame(rows, schema=dict(zip(SEED_TEST_COLUMNS, types)), orient="row")


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


def _bootstrap_pgf_ci(base_arr, ft_arr, upper, eps, sig: Significance, rng) -> tuple[float | None, float | None]:
    """Question-resampling percentile CI of the seed-mean PGF (these adapters, these seeds)."""
    n_q = base_arr.shape[1]
    if n_q < 2:
        return None, None
    idx = np.arange(n_q)
    stat = _pgf_stat(base_arr.astype(np.float64), ft_arr.astype(np.float64), upper, eps)
    if not np.isfinite(stat(idx)):
        return None, None
    res = st.bootstrap(
        (idx,), stat, n_resamples=sig.n_bootstrap, vectorized=True, confidence_level=sig.confidence,
        method="percentile", rng=rng,
    )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return (None if np.isnan(lo) else lo), (None if np.isnan(hi) else hi)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _correct(
    rows: list[list], columns: Sequence[str], tested: list[int], p: str, q: str, flag: str, correction: str,
    alpha: float,
) -> None:
    """Fill the q-value and significance columns in place for the tested rows with a finite p."""
    ip, iq, iflag = (columns.index(c) for c in (p, q, flag))
    usable = [i for i in tested if rows[i][ip] is not None and np.isfinite(rows[i][ip])]
    for i, qv in zip(usable, adjust(np.array([rows[i][ip] for i in usable], dtype=np.float64), correction)):
        rows[i][iq] = float(qv)
        rows[i][iflag] = bool(qv <= alpha)


def cell_tests(preds: pl.DataFrame, model: str, settings: AnalysisSettings) -> pl.DataFrame:
    """Per-cell tests of fine-tuned vs base correctness, FDR-corrected, with CIs.

    ``preds`` holds per-question correctness (see :func:`io.read_predictions`). Columns
    (:data:`SIG_COLUMNS`): the procedure claim (``p_value``, ``q_value``, ``significant``
    from ``significance.test``; ``acc_diff`` with its CI and the PGF CI it implies, the
    base accuracy taken as fixed), the given-adapters claim (``adapters_*``: exact
    sign-flip test over seed-averaged questions, question-bootstrap PGF CI) and the
    pooled discordant counts. The diagonal is tested but left out of the corrections
    unless ``include_diagonal``. One row per (source, target) with fine-tuned predictions.
    """
    sig: Significance = settings.significance
    p = preds.filter(pl.col("model") == model)
    if p.height == 0:
        raise ValueError(f"predictions: no rows for model {model!r}")
    rng = np.random.default_rng(sig.seed)
    groups = p.partition_by(["source", "target"], as_dict=True)
    order = {t: i for i, t in enumerate(settings.tasks)}
    cells = sorted((k for k in groups if k[0] != BASE), key=lambda k: (order.get(k[0], len(order)), order.get(k[1], len(order)), k))
    paired = []
    for source, target in cells:
        ft = groups[(source, target)]
        base = groups.get((BASE, target))
        if base is None:
            raise ValueError(f"predictions: no base predictions for model={model!r} target={target!r}")
        seeds = sorted(ft["seed"].unique().to_list())
        base_arr, ft_arr = _paired_arrays(ft, base, seeds)
        if base_arr.shape[1] == 0:
            raise ValueError(f"predictions: no question of model={model!r} target={target!r} is shared by all seeds and base")
        paired.append((source, target, base_arr, ft_arr))
    if not paired:
        return pl.DataFrame(schema=dict(zip(SIG_COLUMNS, _SIG_TYPES)))
    tested = [i for i, c in enumerate(paired) if settings.include_diagonal or c[0] != c[1]]
    ms = MeanSquares.concat([mean_squares(b, f) for _, _, b, f in paired])
    proc = procedure_test(ms, seed_prior(ms.select(np.array(tested, dtype=np.intp))), sig.confidence)
    rows = []
    for k, (source, target, base_arr, ft_arr) in enumerate(paired):
        if sig.test == "pooled_mcnemar":
            p_value = float(pooled_mcnemar(base_arr, ft_arr)[0])
        else:
            p_value = float(proc.p_value[k])
        gap = settings.upper(target) - float(base_arr.mean()) + settings.eps
        lo, hi = _finite(proc.ci_low[k]), _finite(proc.ci_high[k])
        pgf_lo, pgf_hi = (lo / gap, hi / gap) if lo is not None and hi is not None and gap > settings.eps else (None, None)
        a_lo, a_hi = _bootstrap_pgf_ci(base_arr, ft_arr, settings.upper(target), settings.eps, sig, rng)
        rows.append([
            source, target, base_arr.shape[1], ft_arr.shape[0], sig.test, float(proc.diff[k]),
            None if np.isnan(proc.df[k]) else float(proc.df[k]),
            _finite(p_value), None, False, lo, hi, pgf_lo, pgf_hi,
            float(adapters_test(base_arr, ft_arr)[0]), None, False, a_lo, a_hi,
            int(((ft_arr == 1) & (base_arr == 0)).sum()), int(((ft_arr == 0) & (base_arr == 1)).sum()),
        ])
    _correct(rows, SIG_COLUMNS, tested, "p_value", "q_value", "significant", sig.correction, sig.alpha)
    _correct(rows, SIG_COLUMNS, tested, "adapters_p_value", "adapters_q_value", "adapters_significant",
             sig.correction, sig.alpha)
    return pl.DataFrame(rows, schema=dict(zip(SIG_COLUMNS, _SIG_TYPES)), orient="row")


def significance_mask(tests: pl.DataFrame, sources: Sequence[str], targets: Sequence[str]) -> np.ndarray:
    """Boolean source x target mask of significant cells (untested cells are not significant)."""
    mask = np.zeros((len(sources), len(targets)), dtype=bool)
    si = {t: i for i, t in enumerate(sources)}
    ti = {t: i for i, t in enumerate(targets)}
    for s, t, ok in tests.select("source", "target", "significant").iter_rows():
        if s in si and t in ti:
            mask[si[s], ti[t]] = bool(ok)
    return mask
