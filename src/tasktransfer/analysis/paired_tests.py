"""Paired tests of fine-tuned against base correctness, each with its unit of replication.

Every function takes ``base`` and ``ft`` correctness arrays of shape ``(cells, seeds,
questions)`` (or one cell, ``(seeds, questions)``), paired on the same questions; a
single base evaluation is the same row repeated for every seed. They answer different
questions, and only the first supports a claim about training:

* :func:`procedure_test` -- "does fine-tuning on *i* change accuracy on *j*?" The
  replicates are the training seeds *and* the questions (a sample of the task). The
  per-(seed, question) differences ``y = ft - base`` form a crossed two-way layout;
  their grand mean is tested with the variance of a random-effects model with question
  and seed effects, estimated from the ANOVA mean squares. The seed term has only
  ``seeds - 1`` degrees of freedom, so it is moderated across a model's cells
  (:func:`seed_prior`, an empirical-Bayes prior as in limma's moderated t).
* :func:`adapters_test` -- "do *these* adapters differ from the base on this task?"
  Questions are the unit: each question's seed-averaged difference is one paired
  observation and the exact sign-flip (permutation) test is applied. With one seed this
  is exactly McNemar's exact test. It says nothing about a rerun of training.
* :func:`pooled_mcnemar` -- the earlier default, kept for comparison only: discordant
  pairs pooled over seeds as if every (seed, question) were independent. It counts a
  question up to once per seed and ignores training noise, so it is anti-conservative
  for either claim (``benchmarks/significance_calibration.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as st


@dataclass(frozen=True)
class MeanSquares:
    """The crossed seeds x questions ANOVA of ``y = ft - base``, one entry per cell."""

    diff: np.ndarray  # grand mean: the seed-mean accuracy change
    ms_q: np.ndarray  # questions (n - 1 df)
    ms_s: np.ndarray  # seeds (S - 1 df)
    ms_e: np.ndarray  # interaction ((n - 1)(S - 1) df)
    n_seeds: np.ndarray
    n_q: np.ndarray

    def select(self, index) -> "MeanSquares":
        """The cells at ``index`` (an index array or boolean mask)."""
        return MeanSquares(*(getattr(self, f)[index] for f in MeanSquares.__dataclass_fields__))

    @staticmethod
    def concat(parts: "list[MeanSquares]") -> "MeanSquares":
        """One table of every cell of ``parts`` (cells of different sizes may mix)."""
        return MeanSquares(*(np.concatenate([getattr(p, f) for p in parts]) for f in MeanSquares.__dataclass_fields__))


@dataclass(frozen=True)
class SeedPrior:
    """Empirical-Bayes prior of the seed mean square: ``d0`` df around ``s0_sq`` (d0 = inf: pooled)."""

    d0: float
    s0_sq: float


@dataclass(frozen=True)
class ProcedureResult:
    """Arrays over cells: mean accuracy change, its standard error, df, p, CI of the change."""

    diff: np.ndarray
    se: np.ndarray
    df: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def _cells(base: np.ndarray, ft: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    base = np.asarray(base, dtype=np.float64)
    ft = np.asarray(ft, dtype=np.float64)
    if base.shape != ft.shape or base.ndim not in (2, 3):
        raise ValueError(f"paired tests: base {base.shape} and ft {ft.shape} must both be (seeds, questions) or (cells, seeds, questions)")
    if base.ndim == 2:
        base, ft = base[None], ft[None]
    return base, ft


def mean_squares(base: np.ndarray, ft: np.ndarray) -> MeanSquares:
    """ANOVA mean squares of every cell (NaN where seeds or questions are fewer than two)."""
    base, ft = _cells(base, ft)
    n_cells, n_seeds, n_q = ft.shape
    y = ft - base
    grand = y.mean(axis=(1, 2))
    shape = np.full(n_cells, 1)
    if n_seeds < 2 or n_q < 2:
        nan = np.full(n_cells, np.nan)
        return MeanSquares(grand, nan, nan.copy(), nan.copy(), shape * n_seeds, shape * n_q)
    by_q = y.mean(axis=1)  # (cells, n)
    by_s = y.mean(axis=2)  # (cells, S)
    ms_q = n_seeds * ((by_q - grand[:, None]) ** 2).sum(axis=1) / (n_q - 1)
    ms_s = n_q * ((by_s - grand[:, None]) ** 2).sum(axis=1) / (n_seeds - 1)
    resid = y - by_q[:, None, :] - by_s[:, :, None] + grand[:, None, None]
    ms_e = (resid**2).sum(axis=(1, 2)) / ((n_q - 1) * (n_seeds - 1))
    return MeanSquares(grand, ms_q, ms_s, ms_e, shape * n_seeds, shape * n_q)


def _trigamma_inverse(x: float) -> float:
    """y with trigamma(y) = x (Newton's method on 1/trigamma, as in Smyth 2004)."""
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = special.polygamma(1, y)
        step = tri * (1 - tri / x) / special.polygamma(2, y)
        y += step
        if -step / y < 1e-8:
            break
    return float(y)


def seed_prior(ms: MeanSquares) -> SeedPrior:
    """Fit the scaled inverse chi-square prior of the seed mean squares over a model's cells.

    Moment matching on ``log MS_s`` (Smyth 2004, the ``limma`` moderated t): where the
    cells' seed variation is alike, ``d0`` is large and each cell borrows the others'
    degrees of freedom; where it differs, ``d0`` is small and each cell stands on its own
    ``S - 1``. Cells with a zero or undefined seed mean square do not enter the fit.
    """
    ok = np.isfinite(ms.ms_s) & (ms.ms_s > 0)
    if ok.sum() < 3:
        return SeedPrior(0.0, float("nan"))
    d = (ms.n_seeds[ok] - 1).astype(np.float64)
    e = np.log(ms.ms_s[ok]) - special.digamma(d / 2) + np.log(d / 2)
    e_mean = float(e.mean())
    e_var = float(e.var(ddof=1) - special.polygamma(1, d / 2).mean())
    if e_var <= 0:
        return SeedPrior(float("inf"), float(np.exp(e_mean)))
    d0 = 2 * _trigamma_inverse(e_var)
    return SeedPrior(d0, float(np.exp(e_mean + special.digamma(d0 / 2) - np.log(d0 / 2))))


def procedure_test(ms: MeanSquares, prior: SeedPrior | None = None, confidence: float = 0.95) -> ProcedureResult:
    """Crossed seeds x questions random-effects t-test of the mean accuracy change.

    The grand mean of ``y = ft - base`` over (seed, question) has variance
    ``s2_q / n + s2_s / S + s2_e / (n S)`` (question, seed and interaction components),
    estimated without bias by ``(MS_q - MS_e + MS_s) / (n S)``: the question term holds the
    paired variation of base and fine-tuned answers, ``MS_s`` the seed-to-seed variation of
    accuracy (training noise plus answer churn). ``MS_s`` rests on ``S - 1`` degrees of
    freedom only; with ``prior`` (:func:`seed_prior`) it is moderated towards the model's
    typical value, ``(d0 s0^2 + (S-1) MS_s) / (d0 + S - 1)``, and the t law gets
    ``d0 + S - 1`` degrees of freedom; without, ``S - 1``. Letting the degrees of freedom
    follow the estimated components instead (Satterthwaite) is anti-conservative in the
    far tail that a correction over 156 cells reaches (``benchmarks/significance_calibration.py``).

    Cells with fewer than two seeds or two questions cannot support a procedure claim: p
    is NaN. A cell without any variance has p 1 for a zero change, else 0.
    """
    d = (ms.n_seeds - 1).astype(np.float64)
    seed_ms = ms.ms_s
    df = d.copy()
    if prior is not None and prior.d0 > 0 and np.isfinite(prior.s0_sq):
        if np.isinf(prior.d0):
            seed_ms = np.full_like(ms.ms_s, prior.s0_sq)
            df = np.full_like(d, np.inf)
        else:
            seed_ms = (prior.d0 * prior.s0_sq + d * ms.ms_s) / (prior.d0 + d)
            df = prior.d0 + d
    var = np.maximum(ms.ms_q - ms.ms_e, 0.0) + seed_ms
    se = np.sqrt(var / (ms.n_q * ms.n_seeds))
    df = np.where(np.isfinite(se), df, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(ms.diff) / se
        p = np.where(se > 0, 2 * st.t.sf(t, df), np.where(np.isclose(ms.diff, 0.0, atol=1e-12), 1.0, 0.0))
        half = st.t.ppf(0.5 + confidence / 2, df) * se
    p = np.where(np.isfinite(se), np.clip(p, 0.0, 1.0), np.nan)
    return ProcedureResult(ms.diff, se, df, p, ms.diff - half, ms.diff + half)


def adapters_test(base: np.ndarray, ft: np.ndarray) -> np.ndarray:
    """Exact paired sign-flip test per cell on seed-averaged question differences.

    Each question's difference ``sum_s (ft - base)`` is an integer in ``[-S, S]``; under
    "these adapters and the base are exchangeable on every question" its sign is a fair
    coin. With one seed this is McNemar's exact test. Returns p per cell.
    """
    base, ft = _cells(base, ft)
    k = np.rint((ft - base).sum(axis=1)).astype(np.int64)  # (cells, n)
    return np.array([sign_flip_p(row) for row in k])


def sign_flip_p(k: np.ndarray) -> float:
    """Exact two-sided sign-flip p-value of integer paired differences ``k``."""
    k = np.asarray(k, dtype=np.int64)
    nonzero = np.abs(k[k != 0])
    if nonzero.size == 0:
        return 1.0
    total = int(nonzero.sum())
    # pmf over the statistic sum(sign * |k|) in [-total, total], index = value + total.
    pmf = np.zeros(2 * total + 1)
    pmf[total] = 1.0
    values, counts = np.unique(nonzero, return_counts=True)
    for v, m in zip(values.tolist(), counts.tolist()):
        group = np.zeros(2 * v * m + 1)
        group[:: 2 * v] = st.binom.pmf(np.arange(m + 1), m, 0.5)
        pmf = np.convolve(pmf, group)[v * m : v * m + pmf.size]
    observed = abs(int(k.sum()))
    tail = pmf[np.abs(np.arange(-total, total + 1)) >= observed].sum()
    return float(min(1.0, tail))


def pooled_mcnemar(base: np.ndarray, ft: np.ndarray) -> np.ndarray:
    """Exact McNemar p per cell with discordant pairs pooled over seeds (anti-conservative)."""
    base, ft = _cells(base, ft)
    ft_only = ((ft == 1) & (base == 0)).sum(axis=(1, 2))
    base_only = ((ft == 0) & (base == 1)).sum(axis=(1, 2))
    return np.array([mcnemar_p(int(a), int(b)) for a, b in zip(ft_only, base_only)])


def mcnemar_p(ft_only: int, base_only: int) -> float:
    """Exact two-sided McNemar p: binomial test of the discordant pairs against 1/2."""
    n = ft_only + base_only
    return 1.0 if n == 0 else float(st.binomtest(ft_only, n, 0.5).pvalue)
