"""Tables and figures of the two extension studies, with bootstrap CIs over questions.

Inputs are per-question correctness tables (the evaluator's ``predictions.parquet``
rows), so confidence intervals resample evaluation questions (the source of noise that
matters with ~120-170 questions per task), not the handful of seeds:

* selection study: for each target and strategy, accuracy on the target and PGF into
  the target against the base model, paired over the same questions;
* balancing study: per-task accuracy of each multi-task run, its improvement over
  single-task fine-tuning and Delta I % / Delta E % (VisATB eq. 9).

Several runs of one strategy (seeds, random draws) are pooled by averaging each
question's correctness over runs before resampling questions. PGF is linear in accuracy
for a fixed base, so the PGF of the pooled accuracy equals the mean of per-run PGFs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

from .balance_metrics import balance_summary

__all__ = [
    "SELECTION_ORDER",
    "BALANCE_ORDER",
    "balance_results",
    "plot_balance",
    "plot_selection",
    "selection_results",
]

SELECTION_ORDER = ("direct", "pgf_topk", "random", "uniform")
BALANCE_ORDER = ("stl", "ew", "tla", "vitw")
_LABELS = {
    "direct": "direct FT",
    "pgf_topk": "PGF top-k",
    "random": "random k",
    "uniform": "all others",
    "stl": "single-task",
    "ew": "EW",
    "tla": "TLA",
    "vitw": "VITW (VisATB)",
}


def _need(df: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"`{name}` lacks column(s) {missing}; has {list(df.columns)}")


def _per_question(df: pd.DataFrame, keys: Sequence[str], name: str) -> pd.DataFrame:
    """Mean correctness per (keys..., question_id) over runs, plus the number of runs."""
    bad = ~df["correct"].isin([0, 1, True, False])
    if bad.any():
        raise ValueError(f"`{name}`: `correct` must be 0/1 or boolean; got {df.loc[bad, 'correct'].unique()[:5].tolist()}")
    dup = df.duplicated([*keys, "run", "question_id"])
    if dup.any():
        raise ValueError(f"`{name}`: duplicate rows for {df.loc[dup, [*keys, 'run', 'question_id']].head(3).values.tolist()}")
    out = df.assign(correct=df["correct"].astype(float))
    grouped = out.groupby([*keys, "question_id"], sort=True)
    return grouped.agg(correct=("correct", "mean"), n_runs=("run", "nunique")).reset_index()


def _ci(data: tuple[np.ndarray, ...], statistic, n_resamples: int, confidence: float, seed: int) -> tuple[float, float]:
    if len(data[0]) < 2:
        return (np.nan, np.nan)
    res = bootstrap(
        data,
        statistic,
        paired=True,
        vectorized=True,
        axis=-1,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def selection_results(
    predictions: pd.DataFrame,
    base: pd.DataFrame,
    upper: float | dict[str, float] = 1.0,
    eps: float = 1e-8,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Accuracy and PGF on each target per strategy, with paired bootstrap CIs.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``target, strategy, run, question_id, correct``: one row per question of
        each run evaluated on its target (``run`` tells seeds / draws apart).
    base : DataFrame
        Columns ``target, question_id, correct``: the untuned model on the same questions.
    upper : float or task -> float
        ``U_j`` in the PGF (default 1.0, perfect accuracy).

    Returns
    -------
    DataFrame with ``target, strategy, n_runs, n_questions, accuracy, accuracy_lo,
    accuracy_hi, base_accuracy, pgf, pgf_lo, pgf_hi, ceiling`` (``ceiling``: the base is
    within 1e-9 of ``U``, where PGF is not meaningful).

    Raises
    ------
    ValueError
        If columns are missing, a strategy's questions differ from the base's questions on
        that target, or a target has no base predictions.
    """
    _need(predictions, ["target", "strategy", "run", "question_id", "correct"], "predictions")
    _need(base, ["target", "question_id", "correct"], "base")
    pq = _per_question(predictions, ["target", "strategy"], "predictions")
    bq = _per_question(base.assign(run="base"), ["target"], "base")
    rows = []
    for (target, strategy), group in pq.groupby(["target", "strategy"], sort=False):
        b = bq[bq["target"] == target]
        if b.empty:
            raise ValueError(f"no base predictions for target {target!r}")
        if set(group["question_id"]) != set(b["question_id"]):
            only_s = sorted(set(group["question_id"]) - set(b["question_id"]))[:5]
            only_b = sorted(set(b["question_id"]) - set(group["question_id"]))[:5]
            raise ValueError(
                f"strategy {strategy!r} on {target!r} was evaluated on other questions than the base "
                f"(only in strategy: {only_s}, only in base: {only_b})"
            )
        merged = group.merge(b[["question_id", "correct"]], on="question_id", suffixes=("", "_base"))
        x = merged["correct"].to_numpy()
        xb = merged["correct_base"].to_numpy()
        u = float(upper[target] if isinstance(upper, dict) else upper)

        def pgf_stat(a, c, axis=-1):
            acc_b = c.mean(axis=axis)
            return (a.mean(axis=axis) - acc_b) / (u - acc_b + eps)

        def acc_stat(a, axis=-1):
            return a.mean(axis=axis)

        # A per-(target, strategy) seed offset keeps CIs reproducible and independent of row order.
        offset = int(np.frombuffer(f"{target}/{strategy}".encode(), dtype=np.uint8).sum())
        acc_lo, acc_hi = _ci((x,), acc_stat, n_resamples, confidence, seed + offset)
        pgf_lo, pgf_hi = _ci((x, xb), pgf_stat, n_resamples, confidence, seed + offset)
        rows.append(
            {
                "target": target,
                "strategy": strategy,
                "n_runs": int(merged["n_runs"].max()),
                "n_questions": len(x),
                "accuracy": float(x.mean()),
                "accuracy_lo": acc_lo,
                "accuracy_hi": acc_hi,
                "base_accuracy": float(xb.mean()),
                "pgf": float(pgf_stat(x, xb)),
                "pgf_lo": pgf_lo,
                "pgf_hi": pgf_hi,
                "ceiling": bool(abs(u - xb.mean()) < 1e-9),
            }
        )
    table = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(SELECTION_ORDER)}
    table["_o"] = table["strategy"].map(lambda s: order.get(s, len(order)))
    return table.sort_values(["target", "_o", "strategy"]).drop(columns="_o").reset_index(drop=True)


def balance_results(
    predictions: pd.DataFrame,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-task accuracy of each multi-task method and single-task FT, and Delta I / E.

    Parameters
    ----------
    predictions : DataFrame
        Columns ``method, task, run, question_id, correct``. ``method`` ``stl`` holds the
        single-task runs (each task evaluated with the adapter trained on it); the others
        (``ew``, ``tla``, ``vitw``) the multi-task runs on every task.

    Returns
    -------
    (per_task, summary): ``per_task`` has ``method, task, n_runs, accuracy, accuracy_lo,
    accuracy_hi, stl_accuracy, improvement_pct``; ``summary`` has ``method, delta_i_pct,
    delta_e_pct`` (``stl`` is 0 / 0 by definition and listed for reference).
    """
    _need(predictions, ["method", "task", "run", "question_id", "correct"], "predictions")
    if "stl" not in set(predictions["method"]):
        raise ValueError(f"`predictions` has no single-task (`stl`) rows; methods: {sorted(set(predictions['method']))}")
    pq = _per_question(predictions, ["method", "task"], "predictions")
    rows = []
    for (method, task), group in pq.groupby(["method", "task"], sort=True):
        x = group["correct"].to_numpy()
        offset = int(np.frombuffer(f"{method}/{task}".encode(), dtype=np.uint8).sum())
        lo, hi = _ci((x,), lambda a, axis=-1: a.mean(axis=axis), n_resamples, confidence, seed + offset)
        rows.append({"method": method, "task": task, "n_runs": int(group["n_runs"].max()), "accuracy": float(x.mean()), "accuracy_lo": lo, "accuracy_hi": hi})
    per_task = pd.DataFrame(rows)
    stl = per_task[per_task["method"] == "stl"].set_index("task")["accuracy"]
    summaries = []
    improvements = []
    for method, group in per_task.groupby("method", sort=False):
        acc = group.set_index("task")["accuracy"]
        missing = sorted(set(stl.index) - set(acc.index))
        extra = sorted(set(acc.index) - set(stl.index))
        if missing or extra:
            raise ValueError(f"method {method!r} covers other tasks than single-task FT (missing {missing}, extra {extra})")
        s = balance_summary(acc.to_dict(), stl.to_dict())
        summaries.append({"method": method, "delta_i_pct": s.delta_i_pct, "delta_e_pct": s.delta_e_pct})
        improvements.append(s.per_task.rename_axis("task").reset_index().assign(method=method))
    per_task = per_task.merge(stl.rename("stl_accuracy"), left_on="task", right_index=True)
    per_task = per_task.merge(pd.concat(improvements), on=["method", "task"])
    order = {m: i for i, m in enumerate(BALANCE_ORDER)}

    def _sort(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        df = df.assign(_o=df["method"].map(lambda m: order.get(m, len(order))))
        return df.sort_values(["_o", *keys]).drop(columns="_o").reset_index(drop=True)

    return _sort(per_task, ["method", "task"]), _sort(pd.DataFrame(summaries), ["method"])


def _label(name: str) -> str:
    return _LABELS.get(name, name)


def plot_selection(table: pd.DataFrame, path_stem: str | os.PathLike[str]) -> list[Path]:
    """One column per target: accuracy (top) and PGF (bottom) per strategy with 95 % CIs.

    Writes ``<stem>.png`` and ``<stem>.pdf``; returns their paths.
    """
    from ..analysis.figures.style import label, save, plt

    targets = list(dict.fromkeys(table["target"]))
    if not targets:
        raise ValueError("plot_selection: empty table")
    fig, axes = plt.subplots(2, len(targets), figsize=(0.9 + 2.6 * len(targets), 5.0), squeeze=False, sharex="col")
    colors = dict(zip(SELECTION_ORDER, ["#4C72B0", "#DD8452", "#8C8C8C", "#55A868"]))
    for col, target in enumerate(targets):
        sub = table[table["target"] == target].reset_index(drop=True)
        xs = np.arange(len(sub))
        for row, (metric, ylabel) in enumerate([("accuracy", "accuracy on target"), ("pgf", "PGF into target")]):
            ax = axes[row][col]
            for x, r in zip(xs, sub.itertuples()):
                value, lo, hi = getattr(r, metric), getattr(r, f"{metric}_lo"), getattr(r, f"{metric}_hi")
                err = None if np.isnan(lo) else [[value - lo], [hi - value]]
                ax.errorbar(x, value, yerr=err, fmt="o", capsize=3, color=colors.get(r.strategy, "black"))
            if metric == "accuracy":
                ax.axhline(sub["base_accuracy"].iloc[0], ls="--", lw=1, color="black", label="base model")
                ax.set_title(label(target))
            else:
                ax.axhline(0.0, lw=0.8, color="black")
            if col == 0:
                ax.set_ylabel(ylabel)
            ax.set_xticks(xs, [f"{_label(s)}\n(n={n})" for s, n in zip(sub["strategy"], sub["n_runs"])], rotation=30, ha="right")
            ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(loc="best", fontsize=8)
    fig.suptitle("Training on other tasks' data, same example budget (95 % bootstrap CIs over questions)", fontsize=10)
    fig.tight_layout()
    return save(fig, path_stem)


def plot_balance(per_task: pd.DataFrame, summary: pd.DataFrame, path_stem: str | os.PathLike[str]) -> list[Path]:
    """Grouped bars: each multi-task method's change over single-task FT per task (%).

    The legend carries each method's Delta I % and Delta E %.
    """
    from ..analysis.figures.style import label, save, plt

    methods = [m for m in dict.fromkeys(per_task["method"]) if m != "stl"]
    if not methods:
        raise ValueError("plot_balance: no multi-task method to plot")
    tasks = sorted(set(per_task["task"]))
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(1.2 + 0.75 * len(tasks), 3.8))
    summ = summary.set_index("method")
    for k, method in enumerate(methods):
        sub = per_task[per_task["method"] == method].set_index("task").reindex(tasks)
        xs = np.arange(len(tasks)) + (k - (len(methods) - 1) / 2) * width
        s = summ.loc[method]
        ax.bar(xs, sub["improvement_pct"], width, label=f"{_label(method)}: ΔI {s.delta_i_pct:+.2f} %, ΔE {s.delta_e_pct:.2f} %")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(np.arange(len(tasks)), [label(t) for t in tasks], rotation=45, ha="right")
    ax.set_ylabel("accuracy change vs single-task FT (%)")
    ax.set_title("One adapter on all tasks: loss weighting schemes")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    # no tight_layout: it would shrink the axes to fit the outside legend; the saver's
    # bbox_inches="tight" crops to everything drawn instead.
    return save(fig, path_stem)
