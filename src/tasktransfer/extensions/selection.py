"""PGF-guided data selection for a target task that has no training data of its own.

The transfer matrix says which source tasks help a target zero-shot. If a target had no
training data, a practitioner would train on a mixture of its best helpers instead. The
study compares, at the same example budget as direct fine-tuning on the target:

* ``pgf_topk``: the ``k`` other tasks with the highest seed-mean PGF into the target,
  keeping only positive (and, optionally, significant) cells;
* ``random``: ``k`` other tasks drawn uniformly, several seeded draws;
* ``uniform``: all other tasks;
* ``direct``: the target itself (already in the single-task grid, so no spec here).

PGF matrices are DataFrames with sources as rows and targets as columns.
"""

from __future__ import annotations

import zlib
from typing import Sequence

import numpy as np
import pandas as pd

from ..train.mixture import apportion
from .spec import MixtureSpec

__all__ = [
    "allocate_budget",
    "random_mixtures",
    "rank_sources",
    "selection_specs",
    "select_top_k",
    "uniform_mixture",
]

# |PGF| below this is a zero (seed means of +-1/m values leave 1e-17 residues).
ZERO_TOL = 1e-12


def _check_matrix(pgf: pd.DataFrame, target: str, name: str = "pgf") -> None:
    if not isinstance(pgf, pd.DataFrame):
        raise TypeError(f"`{name}` must be a DataFrame with sources as rows and targets as columns")
    if target not in pgf.columns:
        raise KeyError(f"target {target!r} is not a column of `{name}`; columns: {list(pgf.columns)}")
    if pgf.index.has_duplicates or pgf.columns.has_duplicates:
        raise ValueError(f"`{name}` has duplicate task names")


def rank_sources(
    pgf: pd.DataFrame,
    target: str,
    qvalues: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """All sources other than ``target``, ranked by PGF into ``target`` (best first).

    Returns a table with columns ``rank, source, pgf, q, positive, significant, eligible``.
    ``eligible`` means positive (PGF > 0 beyond a 1e-12 tolerance) and, when ``qvalues``
    (same layout as ``pgf``; p- or q-values) is given, ``q < alpha``. Ties in PGF are
    broken by source name so the order never depends on input order.

    Raises
    ------
    KeyError
        If ``target`` is not a column, or a source has no q-value.
    ValueError
        If a PGF cell used for ranking is NaN.
    """
    _check_matrix(pgf, target)
    sources = [s for s in pgf.index if s != target]
    if not sources:
        raise ValueError(f"no source task other than {target!r} in the PGF matrix")
    col = pgf.loc[sources, target].astype(float)
    nan = col[col.isna()]
    if len(nan):
        raise ValueError(f"PGF into {target!r} is NaN for source(s) {list(nan.index)}")
    table = pd.DataFrame({"source": sources, "pgf": col.to_numpy()})
    if qvalues is not None:
        _check_matrix(qvalues, target, "qvalues")
        missing = [s for s in sources if s not in qvalues.index]
        if missing:
            raise KeyError(f"`qvalues` has no row for source(s) {missing}")
        if not 0 < alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {alpha!r}")
        table["q"] = qvalues.loc[sources, target].astype(float).to_numpy()
        table["significant"] = table["q"] < alpha
    else:
        table["q"] = np.nan
        table["significant"] = True
    table["positive"] = table["pgf"] > ZERO_TOL
    table["eligible"] = table["positive"] & table["significant"]
    table = table.sort_values(["pgf", "source"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[["rank", "source", "pgf", "q", "positive", "significant", "eligible"]]


def select_top_k(
    pgf: pd.DataFrame,
    target: str,
    k: int,
    qvalues: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> list[str]:
    """The (at most) ``k`` best eligible helpers of ``target``; fewer if fewer transfer positively.

    Examples
    --------
    >>> pgf = pd.DataFrame([[1.0, 0.2, 0.0], [0.3, 1.0, -0.1], [0.1, 0.4, 1.0]],
    ...                    index=list("abc"), columns=list("abc"))
    >>> select_top_k(pgf, "a", 2)
    ['b', 'c']
    >>> select_top_k(pgf, "c", 2)
    []
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    ranked = rank_sources(pgf, target, qvalues, alpha)
    return ranked.loc[ranked["eligible"], "source"].head(int(k)).tolist()


def _target_seed(seed: int, target: str, draw: int) -> list[int]:
    # crc32 is stable across processes (hash() is salted), so draws are reproducible.
    return [int(seed), zlib.crc32(target.encode("utf-8")), int(draw)]


def random_mixtures(
    tasks: Sequence[str], target: str, k: int, n_draws: int, seed: int
) -> list[list[str]]:
    """``n_draws`` random sets of ``k`` tasks other than ``target`` (sorted within a draw).

    Draw ``d`` depends only on (seed, target, d), so asking for more draws keeps the
    earlier ones. Draws are independent and may coincide when few tasks are available.
    """
    others = sorted(t for t in tasks if t != target)
    if target not in tasks:
        raise KeyError(f"target {target!r} is not among the tasks {list(tasks)}")
    if not 1 <= k <= len(others):
        raise ValueError(f"k must be between 1 and {len(others)} (other tasks), got {k!r}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws!r}")
    draws = []
    for d in range(n_draws):
        rng = np.random.default_rng(_target_seed(seed, target, d))
        picked = rng.choice(len(others), size=k, replace=False)
        draws.append(sorted(others[i] for i in picked))
    return draws


def uniform_mixture(tasks: Sequence[str], target: str) -> list[str]:
    """All tasks except ``target``, sorted."""
    if target not in tasks:
        raise KeyError(f"target {target!r} is not among the tasks {list(tasks)}")
    return sorted(t for t in tasks if t != target)


def allocate_budget(tasks: Sequence[str], budget: int) -> dict[str, int]:
    """Split ``budget`` examples as evenly as possible over ``tasks``.

    Uses the trainer's largest-remainder split (:func:`tasktransfer.train.mixture.apportion`)
    with equal ratios, so the remainder goes one example each to the first tasks in the
    given order (the selection order: the best helper first) and the spec's counts are
    exactly what the trainer draws.
    """
    tasks = list(tasks)
    if not tasks:
        raise ValueError("allocate_budget: no tasks")
    if len(set(tasks)) != len(tasks):
        raise ValueError(f"allocate_budget: duplicate tasks {tasks}")
    if not isinstance(budget, (int, np.integer)) or budget < len(tasks):
        raise ValueError(f"budget must be an integer >= the number of tasks ({len(tasks)}), got {budget!r}")
    return dict(zip(tasks, apportion(int(budget), [1] * len(tasks))))


def selection_specs(
    pgf: pd.DataFrame,
    target: str,
    tasks: Sequence[str],
    k: int,
    budget: int,
    n_random: int,
    seed: int,
    qvalues: pd.DataFrame | None = None,
    alpha: float = 0.05,
    strategies: Sequence[str] = ("pgf_topk", "random", "uniform"),
) -> list[MixtureSpec]:
    """Every mixture spec of the selection study for one target.

    ``pgf_topk`` is the PGF-guided mixture (empty, with the reason, when no helper is
    eligible); ``random`` gives ``n_random`` specs (draw 0..n-1); ``uniform`` one spec.
    All share the direct run's example budget and ``seed``.
    """
    unknown = [s for s in strategies if s not in ("pgf_topk", "random", "uniform")]
    if unknown:
        raise ValueError(f"unknown selection strategy {unknown}; valid: ['pgf_topk', 'random', 'uniform']")
    specs: list[MixtureSpec] = []
    if "pgf_topk" in strategies:
        ranked = rank_sources(pgf, target, qvalues, alpha)
        chosen = ranked.loc[ranked["eligible"], "source"].head(int(k)).tolist()
        details = {
            "k": int(k),
            "alpha": float(alpha) if qvalues is not None else None,
            "significance_filter": qvalues is not None,
            "ranking": [
                {"source": r.source, "pgf": float(r.pgf), "q": None if pd.isna(r.q) else float(r.q), "eligible": bool(r.eligible)}
                for r in ranked.itertuples()
            ],
        }
        if not chosen:
            details["skipped"] = f"no source transfers positively{' and significantly' if qvalues is not None else ''} into {target}"
        specs.append(
            MixtureSpec(
                name=f"{target}__pgf_topk",
                study="selection",
                strategy="pgf_topk",
                target=target,
                seed=seed,
                tasks=tuple(chosen),
                examples=allocate_budget(chosen, budget) if chosen else {},
                details=details,
            )
        )
    if "random" in strategies:
        for d, mix in enumerate(random_mixtures(tasks, target, k, n_random, seed)):
            specs.append(
                MixtureSpec(
                    name=f"{target}__random_{d}",
                    study="selection",
                    strategy="random",
                    target=target,
                    draw=d,
                    seed=seed,
                    tasks=tuple(mix),
                    examples=allocate_budget(mix, budget),
                    details={"k": int(k)},
                )
            )
    if "uniform" in strategies:
        mix = uniform_mixture(tasks, target)
        specs.append(
            MixtureSpec(
                name=f"{target}__uniform",
                study="selection",
                strategy="uniform",
                target=target,
                seed=seed,
                tasks=tuple(mix),
                examples=allocate_budget(mix, budget),
            )
        )
    return specs
