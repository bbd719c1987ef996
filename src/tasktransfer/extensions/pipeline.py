"""The extension studies' workflow steps, one function per rule (scripts stay thin).

Run names (they appear in result paths and in the ``source`` column of the extension
runs' accuracy / prediction files):

* selection: ``{target}__pgf_topk``, ``{target}__random_{d}``, ``{target}__uniform``;
* VisATB preparation: ``mini__{task}`` (simple form), ``plus_mini__{task}`` and
  ``all_mini`` (full form);
* balancing: ``multitask__vitw``, ``multitask__ew``, ``multitask__tla``.

Example counts: a task's *direct* count is what its single-task run trains on, i.e. the
rows of its training split capped by ``tasks.<task>.examples``; a mini subset has
``ceil(fraction x direct)`` examples (at least 1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
import pyarrow.parquet as pq

from ..atomic import atomic_dir, atomic_path, write_json
from .inputs import mean_accuracy, performance_matrix, read_matrix
from .multitask import balance_specs
from .results import balance_results, plot_balance, plot_selection, selection_results
from .selection import rank_sources, selection_specs
from .runs import mini_count, mixture_train_params, multitask_train_params
from .settings import BalanceSettings, SelectionSettings
from .spec import MixtureSpec, read_specs, write_spec
from .visatb import weights_from_runs

__all__ = [
    "direct_counts",
    "mini_count",
    "mixture_train_params",
    "multitask_train_params",
    "prep_specs",
    "read_specs",
    "run_balance_report",
    "run_selection",
    "run_selection_report",
    "run_visatb",
]

PathLike = str | os.PathLike[str]


def direct_counts(splits: Mapping[str, PathLike], caps: Mapping[str, int | None]) -> dict[str, int]:
    """Examples a direct run of each task trains on: split rows, capped by config ``examples``."""
    out = {}
    for task, path in splits.items():
        rows = pq.ParquetFile(path).metadata.num_rows
        if rows == 0:
            raise ValueError(f"{path}: training split of {task!r} is empty")
        cap = caps.get(task)
        out[task] = min(rows, int(cap)) if cap else rows
    return out


def prep_specs(tasks: Sequence[str], counts: Mapping[str, int], settings: BalanceSettings) -> list[MixtureSpec]:
    """The VisATB preparation runs the chosen form needs (mini subsets are seeded draws)."""
    mini = {t: mini_count(counts[t], settings.mini_fraction) for t in tasks}
    def detail(t: str | None) -> dict[str, Any]:
        # direct_examples: what the task's own run trains on (scales step-limited schedules)
        return {"mini_fraction": settings.mini_fraction, **({"direct_examples": counts[t]} if t else {})}

    if settings.form == "simple":
        return [
            MixtureSpec(name=f"mini__{t}", study="balance", strategy="mini", target=t, seed=settings.seed,
                        tasks=(t,), examples={t: mini[t]}, details=detail(t))
            for t in tasks
        ]
    specs = [
        MixtureSpec(name=f"plus_mini__{t}", study="balance", strategy="plus_mini", target=t, seed=settings.seed,
                    tasks=(t, *[o for o in tasks if o != t]),
                    examples={o: (counts[o] if o == t else mini[o]) for o in tasks}, details=detail(t))
        for t in tasks
    ]
    specs.append(MixtureSpec(name="all_mini", study="balance", strategy="all_mini", seed=settings.seed,
                             tasks=tuple(tasks), examples=mini, details=detail(None)))
    return specs


def _write_specs(out_dir: PathLike, specs: Sequence[MixtureSpec], extra: Mapping[str, pd.DataFrame] | None = None) -> None:
    with atomic_dir(out_dir) as tmp:
        for spec in specs:
            write_spec(tmp / f"{spec.name}.json", spec)
        for name, frame in (extra or {}).items():
            frame.to_csv(tmp / name, index=False)


def run_selection(
    pgf_matrix: PathLike,
    out_dir: PathLike,
    settings: SelectionSettings,
    tasks: Sequence[str],
    counts: Mapping[str, int],
    qvalues: PathLike | None = None,
    qvalue_column: str | None = None,
) -> list[MixtureSpec]:
    """Write every selection spec (all targets) and ``ranking.csv`` into ``out_dir``."""
    pgf = read_matrix(pgf_matrix)
    q = None
    if settings.significant_only:
        if qvalues is None:
            raise ValueError("extensions.selection.significant_only is true but no q-value matrix was given")
        q = read_matrix(qvalues, qvalue_column)
    specs, rankings = [], []
    for target in settings.targets:
        specs += selection_specs(
            pgf, target, list(tasks), k=settings.k, budget=counts[target], n_random=settings.n_random,
            seed=settings.seed, qvalues=q, alpha=settings.alpha,
        )
        rankings.append(rank_sources(pgf, target, q, settings.alpha).assign(target=target))
    _write_specs(out_dir, specs, {"ranking.csv": pd.concat(rankings)[["target", *rankings[0].columns[:-1]]]})
    return specs


def _own(mean_acc: pd.DataFrame, labels: Mapping[str, str]) -> pd.Series:
    """Accuracy of run ``labels[t]`` on task ``t`` for every task."""
    lookup = {(s, t): a for s, t, a in mean_acc[["source", "target", "accuracy"]].itertuples(index=False)}
    missing = [(r, t) for t, r in labels.items() if (r, t) not in lookup]
    if missing:
        raise ValueError(f"no accuracy for run/task pair(s) {missing}")
    return pd.Series({t: lookup[(r, t)] for t, r in labels.items()})


def run_visatb(
    accuracies: pd.DataFrame,
    tasks: Sequence[str],
    counts: Mapping[str, int],
    settings: BalanceSettings,
    out_dir: PathLike,
) -> dict[str, float]:
    """VisATB weights from the grid and preparation runs; writes weights, tables and specs.

    ``accuracies`` is a long table (``source, seed, target, n_correct, n_total``) holding
    the base model (``source == "base"``), the single-task grid (``source`` = task) and the
    preparation runs (``source`` = run name). Writes ``out_dir/visatb.json`` (config,
    inputs, weights), ``contribution.csv``, ``weights.csv`` and ``specs/multitask__*.json``.
    """
    tasks = list(tasks)
    mean = mean_accuracy(accuracies)
    if settings.form == "simple":
        perf = performance_matrix(mean, tasks)
        reference = _own(mean, {t: "base" for t in tasks})
        small = _own(mean, {t: f"mini__{t}" for t in tasks})
    else:
        perf = performance_matrix(mean, tasks, [f"plus_mini__{t}" for t in tasks])
        reference = _own(mean, {t: "all_mini" for t in tasks})
        small = reference
    undefined = "nan" if settings.undefined == "exclude" else "error"
    contribution, weights = weights_from_runs(perf, reference, small, settings.form, settings.visatb, undefined)
    excluded = [t for t in tasks if contribution[t].isna().all()]
    if excluded:
        print(f"VisATB: C undefined for {excluded} (own run leaves the task at the reference); left out, neutral C_in")
    record = {**weights.to_json(), "form": settings.form, "mini_fraction": settings.mini_fraction,
              "undefined_columns": excluded,
              "performance": perf.to_dict(orient="index"), "reference": reference.to_dict(), "small": small.to_dict()}
    specs = balance_specs(tasks, {t: counts[t] for t in tasks}, weights.as_dict(), settings.seed,
                          strategies=settings.strategies, details={"visatb": weights.to_json()})
    with atomic_dir(out_dir) as tmp:
        write_json(tmp / "visatb.json", record)
        contribution.rename_axis("source").to_csv(tmp / "contribution.csv")
        weights.to_frame().to_csv(tmp / "weights.csv", index=False)
        for spec in specs:
            write_spec(tmp / "specs" / f"{spec.name}.json", spec)
    return weights.as_dict()


def _write_table(frame: pd.DataFrame, path: PathLike) -> None:
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")


def run_selection_report(
    predictions: pd.DataFrame,
    specs: Sequence[MixtureSpec],
    model: str,
    table_out: PathLike,
    figure_stem: PathLike,
    upper: float | dict[str, float] = 1.0,
    n_resamples: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Selection table and figure from the grid's and the mixture runs' predictions.

    ``predictions`` is the evaluator's long table (``model, source, seed, target,
    question_id, correct``) covering the base model, the direct runs (``source`` = the
    target) and the mixture runs (``source`` = spec name).
    """
    pred = predictions[predictions["model"] == model]
    by_name = {s.name: s for s in specs if s.tasks}
    targets = sorted({s.target for s in specs})
    rows = []
    for target in targets:
        on_target = pred[pred["target"] == target]
        direct = on_target[on_target["source"] == target].assign(strategy="direct")
        mixes = on_target[on_target["source"].map(lambda s: s in by_name and by_name[s].target == target)]
        mixes = mixes.assign(strategy=mixes["source"].map(lambda s: by_name[s].strategy))
        rows += [direct, mixes]
    runs = pd.concat(rows)
    runs = runs.assign(run=runs["source"].astype(str) + "/" + runs["seed"].astype(str))
    base = pred[(pred["source"] == "base") & pred["target"].isin(targets)]
    table = selection_results(runs, base, upper=upper, n_resamples=n_resamples, seed=seed)
    table["note"] = ""
    # A strategy that could not be trained (e.g. no task transfers positively into the
    # target) stays visible as an empty row that says why, instead of vanishing.
    skipped = [
        {"target": s.target, "strategy": s.strategy, "n_runs": 0,
         "note": str(s.details.get("skipped") or "not trained")}
        for s in specs if not s.tasks
    ]
    if skipped:
        table = pd.concat([table, pd.DataFrame(skipped)], ignore_index=True)
        table = table.sort_values(["target", "n_runs"], ascending=[True, False], kind="stable")
        table = table.reset_index(drop=True)
    table.insert(0, "model", model)
    _write_table(table, table_out)
    plot_selection(table, figure_stem)
    return table


def run_balance_report(
    predictions: pd.DataFrame,
    model: str,
    tasks: Sequence[str],
    strategies: Sequence[str],
    table_out: PathLike,
    summary_out: PathLike,
    figure_stem: PathLike,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Balancing table, summary (ΔI %, ΔE %) and figure.

    Single-task rows are each task's own adapter on that task (``source == target``);
    multi-task rows are ``multitask__{strategy}`` on every task.
    """
    pred = predictions[(predictions["model"] == model) & predictions["target"].isin(list(tasks))]
    stl = pred[pred["source"] == pred["target"]].assign(method="stl")
    multi = pred[pred["source"].isin([f"multitask__{s}" for s in strategies])]
    multi = multi.assign(method=multi["source"].str.removeprefix("multitask__"))
    runs = pd.concat([stl, multi]).rename(columns={"target": "task"})
    runs = runs.assign(run=runs["seed"].astype(str))
    per_task, summary = balance_results(runs, n_resamples=n_resamples, seed=seed)
    per_task.insert(0, "model", model)
    summary.insert(0, "model", model)
    _write_table(per_task, table_out)
    _write_table(summary, summary_out)
    plot_balance(per_task, summary, figure_stem)
    return per_task, summary
