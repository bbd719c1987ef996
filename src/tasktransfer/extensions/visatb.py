"""VisATB task weights from single-task runs: inter-task contribution and intra-task difficulty.

VisATB (Dai et al., WWW 2026) weights each task's tokens in a multi-task loss by three
signals measured on validation data:

* outward contribution ``C_out`` (how much training on a task helps the others),
* inward contribution ``C_in`` (how much a task is helped by the others; low means it
  is at risk of being left behind, so it gets *more* weight),
* intra-task difficulty ``D`` (how far a model trained on a small subset of the task
  stays from one trained on all of it).

Each signal becomes ``N * softmax(signal / T)`` and the three are mixed with
coefficients ``alpha_out + alpha_in + alpha_D = 1`` (paper eqs. 4-8).

Performance matrices are ``pandas.DataFrame`` objects with the *trained-on* task as the
index and the *evaluated-on* task as the columns (``V.loc[i, j] = V_j(i)``), the same
orientation as the PGF matrix (source rows, target columns).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import softmax

from .visatb_config import VisATBConfig

__all__ = [
    "VisATBConfig",
    "VisATBWeights",
    "contribution_full",
    "contribution_simple",
    "difficulty",
    "inward_contribution",
    "outward_contribution",
    "scaled_softmax",
    "visatb_from_contribution",
    "visatb_weights",
    "weights_from_runs",
]

# Denominators smaller than this (in the units of the performance metric) mean the
# direct run did not move the task at all: the normalisation is undefined.
_DEGENERATE = 1e-12


def _check_square(matrix: pd.DataFrame, name: str, allow_nan: bool = False) -> list[str]:
    if not isinstance(matrix, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame (trained-on rows x evaluated-on columns)")
    rows, cols = list(matrix.index), list(matrix.columns)
    if rows != cols:
        raise ValueError(
            f"`{name}` must list the same tasks in the same order as rows and columns; "
            f"rows={rows}, columns={cols}"
        )
    if len(set(rows)) != len(rows):
        raise ValueError(f"`{name}` has duplicate task names: {rows}")
    values = matrix.to_numpy(dtype=float)
    if allow_nan:
        values = np.nan_to_num(values, nan=0.0, posinf=np.inf, neginf=-np.inf)
    if not np.isfinite(values).all():
        bad = [(r, c) for r, c in zip(*np.nonzero(~np.isfinite(values)))]
        raise ValueError(f"`{name}` has non-finite entries at {[(rows[r], cols[c]) for r, c in bad]}")
    return rows


def _vector(values: Mapping[str, float] | pd.Series, tasks: Sequence[str], name: str) -> np.ndarray:
    series = pd.Series(values, dtype=float)
    missing = [t for t in tasks if t not in series.index]
    if missing:
        raise ValueError(f"`{name}` has no value for task(s) {missing}")
    out = series.loc[list(tasks)].to_numpy(dtype=float)
    if not np.isfinite(out).all():
        raise ValueError(f"`{name}` has non-finite values: {dict(zip(tasks, out))}")
    return out


def _normalise(perf: pd.DataFrame, reference: np.ndarray, name: str, undefined: str) -> pd.DataFrame:
    if undefined not in ("error", "nan"):
        raise ValueError(f"`undefined` must be 'error' or 'nan', got {undefined!r}")
    tasks = list(perf.index)
    values = perf.to_numpy(dtype=float)
    gain = np.diag(values) - reference
    degenerate = np.abs(gain) < _DEGENERATE
    if degenerate.any() and undefined == "error":
        raise ValueError(
            f"{name}: the run trained on its own task does not change that task's performance "
            f"relative to the reference for {[t for t, d in zip(tasks, degenerate) if d]}, so C[i->j] "
            "is undefined for those columns (paper eq. 3/10 divides by that gain)"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (values - reference[None, :]) / gain[None, :]
    out[:, degenerate] = np.nan
    return pd.DataFrame(out, index=tasks, columns=tasks)


def contribution_simple(
    perf: pd.DataFrame, base: Mapping[str, float] | pd.Series, undefined: str = "error"
) -> pd.DataFrame:
    """Inter-task contribution without mini subsets (VisATB appendix C, eq. 10).

    ``C[i->j] = (V_j(i) - V_j(base)) / (V_j(j) - V_j(base))``: the gain on task ``j`` from
    training on ``i``, as a fraction of the gain from training on ``j`` itself. The
    diagonal is 1 by construction.

    Parameters
    ----------
    perf : DataFrame
        ``perf.loc[i, j] = V_j(i)``, validation performance on ``j`` after training on ``i``.
    base : mapping task -> float
        ``V_j(base)``, the untuned model's performance.

    undefined : ``"error"`` or ``"nan"``
        What to do when a direct run leaves its own task exactly at the base value (the
        division by zero of eq. 10): raise, or mark that whole column NaN ("nothing
        measurable flows into this task"); :func:`outward_contribution` and
        :func:`inward_contribution` then skip NaN cells.

    Raises
    ------
    ValueError
        When rows and columns differ, a value is missing or non-finite, or (with
        ``undefined="error"``) a column is undefined.
    """
    tasks = _check_square(perf, "perf")
    return _normalise(perf, _vector(base, tasks, "base"), "contribution_simple", undefined)


def contribution_full(
    perf_plus_mini: pd.DataFrame, mini: Mapping[str, float] | pd.Series, undefined: str = "error"
) -> pd.DataFrame:
    """Inter-task contribution with mini subsets of every task (VisATB eq. 3).

    ``C[i->j] = (V_j(i+mini) - V_j(mini)) / (V_j(j+mini) - V_j(mini))`` where ``i+mini`` is
    a run on all of task ``i`` plus the mini subsets of the other tasks and ``mini`` a run
    on the mini subsets of all tasks. Same shape and errors as :func:`contribution_simple`.
    """
    tasks = _check_square(perf_plus_mini, "perf_plus_mini")
    return _normalise(perf_plus_mini, _vector(mini, tasks, "mini"), "contribution_full", undefined)


def difficulty(small: Mapping[str, float] | pd.Series, full: Mapping[str, float] | pd.Series) -> pd.Series:
    """Intra-task difficulty ``D_i = 1 - V_i(small_i) / V_i(full_i)`` (VisATB eqs. 6, 11, 12).

    ``small`` is the task's own performance after training on its mini subset (simple and
    precise forms) or on the mini subsets of all tasks (eq. 6); ``full`` after training on
    all of it (plus the other tasks' mini subsets in eq. 6). A task that is learnt from
    a small sample has D near 0; one that needs all its data has D near 1.
    """
    tasks = list(pd.Series(full, dtype=float).index)
    s = _vector(small, tasks, "small")
    f = _vector(full, tasks, "full")
    zero = [t for t, v in zip(tasks, f) if v == 0]
    if zero:
        raise ValueError(f"difficulty: full-data performance is 0 for {zero}; D = 1 - small/full is undefined")
    return pd.Series(1.0 - s / f, index=tasks, name="difficulty")


def _off_diagonal_mean(contribution: pd.DataFrame, axis: int) -> pd.Series:
    """Mean over the N-1 off-diagonal cells; NaN cells (undefined columns) are skipped."""
    tasks = _check_square(contribution, "contribution", allow_nan=True)
    n = len(tasks)
    if n < 2:
        raise ValueError(f"contributions need at least 2 tasks, got {tasks}")
    values = contribution.to_numpy(dtype=float).copy()
    np.fill_diagonal(values, np.nan)
    counts = (~np.isnan(values)).sum(axis=axis)
    sums = np.nansum(values, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    return pd.Series(means, index=tasks)


def outward_contribution(contribution: pd.DataFrame) -> pd.Series:
    """``C_out,i``: mean of row ``i`` of C without the diagonal (what ``i`` gives others, eq. 4)."""
    return _off_diagonal_mean(contribution, axis=1).rename("c_out")


def inward_contribution(contribution: pd.DataFrame) -> pd.Series:
    """``C_in,i``: mean of column ``i`` of C without the diagonal (what ``i`` receives, eq. 5)."""
    return _off_diagonal_mean(contribution, axis=0).rename("c_in")


def scaled_softmax(values: Sequence[float] | np.ndarray, temperature: float) -> np.ndarray:
    """``N * softmax(values / T)``: weights with mean exactly 1, so all-equal values give all ones."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"expected a non-empty 1-D vector, got shape {x.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    return x.size * softmax(x / temperature)


@dataclass(frozen=True)
class VisATBWeights:
    """The inputs and outputs of one VisATB weighting, per task, in task order."""

    tasks: tuple[str, ...]
    c_out: tuple[float, ...]
    c_in: tuple[float, ...]
    difficulty: tuple[float, ...]
    lambda_out: tuple[float, ...]
    lambda_in: tuple[float, ...]
    lambda_d: tuple[float, ...]
    weights: tuple[float, ...]
    config: VisATBConfig

    def as_dict(self) -> dict[str, float]:
        """Task -> final weight, the form a weighted loss consumes."""
        return dict(zip(self.tasks, self.weights))

    def to_frame(self) -> pd.DataFrame:
        """One row per task with every intermediate quantity (for tables and reports)."""
        return pd.DataFrame(
            {
                "task": self.tasks,
                "c_out": self.c_out,
                "c_in": self.c_in,
                "difficulty": self.difficulty,
                "lambda_out": self.lambda_out,
                "lambda_in": self.lambda_in,
                "lambda_d": self.lambda_d,
                "weight": self.weights,
            }
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready record (config included, so a weight file says how it was made)."""
        return {
            "config": asdict(self.config),
            "tasks": list(self.tasks),
            "per_task": self.to_frame().set_index("task").to_dict(orient="index"),
            "weights": self.as_dict(),
        }


def visatb_weights(
    c_out: Mapping[str, float] | pd.Series,
    c_in: Mapping[str, float] | pd.Series,
    d: Mapping[str, float] | pd.Series,
    config: VisATBConfig = VisATBConfig(),
) -> VisATBWeights:
    """Combine the three VisATB signals into final task weights (paper eqs. 4, 5, 7, 8).

    ``lambda_out = N softmax(C_out/T)``, ``lambda_in = N softmax(-C_in/T)``,
    ``lambda_D = N softmax(D/T)``; the result is
    ``alpha_out lambda_out + alpha_in lambda_in + alpha_D lambda_D``, which has mean 1.
    Task order follows ``c_out``.

    Examples
    --------
    >>> w = visatb_weights({"a": 0.1, "b": 0.1}, {"a": 0.2, "b": 0.2}, {"a": 0.5, "b": 0.5})
    >>> [round(x, 6) for x in w.weights]
    [1.0, 1.0]
    """
    tasks = list(pd.Series(c_out, dtype=float).index)
    if not tasks:
        raise ValueError("visatb_weights: no tasks given")
    out_v = _vector(c_out, tasks, "c_out")
    in_v = _vector(c_in, tasks, "c_in")
    d_v = _vector(d, tasks, "difficulty")
    t = config.temperature
    lam_out = scaled_softmax(out_v, t)
    lam_in = scaled_softmax(-in_v, t)
    lam_d = scaled_softmax(d_v, t)
    final = config.alpha_out * lam_out + config.alpha_in * lam_in + config.alpha_d * lam_d

    def tup(a: np.ndarray) -> tuple[float, ...]:
        return tuple(float(x) for x in a)

    return VisATBWeights(
        tasks=tuple(tasks),
        c_out=tup(out_v),
        c_in=tup(in_v),
        difficulty=tup(d_v),
        lambda_out=tup(lam_out),
        lambda_in=tup(lam_in),
        lambda_d=tup(lam_d),
        weights=tup(final),
        config=config,
    )


def visatb_from_contribution(
    contribution: pd.DataFrame,
    d: Mapping[str, float] | pd.Series,
    config: VisATBConfig = VisATBConfig(),
) -> VisATBWeights:
    """Weights straight from a contribution matrix (rows give, columns receive) and D.

    A task whose ``C_out`` or ``C_in`` is undefined (its whole column, or every other
    cell of its row, is NaN) gets the mean of the defined values, i.e. a neutral weight
    from that signal rather than an arbitrary extreme one.
    """

    def neutral(v: pd.Series) -> pd.Series:
        finite = v[np.isfinite(v)]
        return v.fillna(float(finite.mean()) if len(finite) else 0.0)

    return visatb_weights(
        neutral(outward_contribution(contribution)), neutral(inward_contribution(contribution)), d, config
    )


def weights_from_runs(
    perf: pd.DataFrame,
    reference: Mapping[str, float] | pd.Series,
    small: Mapping[str, float] | pd.Series,
    form: str = "simple",
    config: VisATBConfig = VisATBConfig(),
    undefined: str = "error",
) -> tuple[pd.DataFrame, VisATBWeights]:
    """Contribution matrix and VisATB weights from validation results of the preparation runs.

    Parameters
    ----------
    perf : DataFrame
        ``simple``: ``V_j(i)`` of the single-task runs; ``full``: ``V_j(i+mini)``.
    reference : mapping task -> float
        ``simple``: the base model ``V_j(base)``; ``full``: the all-mini run ``V_j(mini)``.
    small : mapping task -> float
        Each task's own performance after training on little of it: ``V_i(mini_i)``
        (appendix C / F) or, for eq. 6, ``V_i(mini)`` of the all-mini run.
    form : ``"simple"`` or ``"full"``
    undefined : ``"error"`` or ``"nan"``
        A direct run that leaves its own task at the reference: raise, or leave that
        column out of the contributions (see :func:`contribution_simple`).

    Returns
    -------
    (contribution, weights); ``D_i = 1 - small_i / perf[i, i]``.
    """
    if form == "simple":
        contribution = contribution_simple(perf, reference, undefined)
    elif form == "full":
        contribution = contribution_full(perf, reference, undefined)
    else:
        raise ValueError(f"VisATB `form` must be 'simple' or 'full', got {form!r}")
    full_own = pd.Series(np.diag(perf.to_numpy(dtype=float)), index=list(perf.index))
    d = difficulty(small, full_own)
    return contribution, visatb_from_contribution(contribution, d, config)
