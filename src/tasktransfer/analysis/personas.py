"""Task personas (sec. 3.3): donors, pirates, sponges and sieves across models.

The paper labels a task by behaviour "consistent across models" without a rule; here the
rule is explicit (:class:`settings.PersonaRule`) and the per-model ranks and values
behind every label are part of the output, so a reader can check or change the call.

Ranking. Within one model all tasks of the table are ranked, rank 1 the strongest
(highest Delta+ for donors/sponges, most negative Delta- for pirates/sieves); tied values
share the average of the ranks they span, so the order of the rows never matters. Tasks
with no transfer of the persona's sign (value 0) all tie at the bottom; since every
nonzero value is stronger than 0, the ranks of the nonzero tasks are the same as if the
zeros had been left out.

Consistency gate (every rule). A task is *active* for a persona in a model when its value
there is nonzero with the persona's sign (Delta+ > 0 for donors/sponges, Delta- < 0 for
pirates/sieves). Only a task active in every model can be labelled: a task with no
transfer of that kind in some model does not behave so "consistently across models",
however it ranks elsewhere. In the significant-only tables non-significant cells are 0,
so there "active" means "has at least one significant cell of that sign".

The rules then choose among these eligible tasks:

- ``mean_rank``: the ``top_k`` best mean ranks (ties at the cut-off included);
- ``top_k_all``: rank within ``top_k`` in every model;
- ``threshold_all``: |value| >= ``threshold`` in every model.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import polars as pl

from tasktransfer.analysis.settings import PersonaRule

# persona -> (which table, which column, strongest is the largest value?)
PERSONAS: dict[str, tuple[str, str, bool]] = {
    "donor": ("transferability", "delta_pos", True),
    "pirate": ("transferability", "delta_neg", False),
    "sponge": ("malleability", "delta_pos", True),
    "sieve": ("malleability", "delta_neg", False),
}


def _ranks(table: pl.DataFrame, column: str, descending: bool) -> dict[str, tuple[float | None, float | None]]:
    """task -> (rank, value) in one model; ties share their average rank.

    A missing value (null or NaN) gets no rank and does not count towards the others'.
    """
    ranked = table.select(
        "task",
        pl.col(column).cast(pl.Float64).fill_nan(None).alias("value"),
    ).with_columns(pl.col("value").rank("average", descending=descending).cast(pl.Float64).alias("rank"))
    if ranked["task"].n_unique() != ranked.height:
        raise ValueError(f"personas: a task appears twice in a `{column}` table")
    return {t: (r, v) for t, v, r in ranked.iter_rows()}


def _active(value: float | None, descending: bool) -> bool:
    """Nonzero with the persona's sign (positive for donors/sponges, negative otherwise)."""
    return value is not None and (value > 0 if descending else value < 0)


def assign_personas(
    tables: Mapping[str, Mapping[str, pl.DataFrame]], rule: PersonaRule, models: list[str] | None = None
) -> pl.DataFrame:
    """Label personas from per-model ``{"transferability": df, "malleability": df}`` tables.

    Returns one row per (persona, task): ``persona, task, label, mean_rank,
    n_models_nonzero``, then ``rank_<model>`` and ``value_<model>`` for each model,
    sorted by persona, then label first, then mean rank and name. ``n_models_nonzero``
    counts the models in which the task is active (nonzero with the persona's sign); only
    tasks active in every model can get a label (module docstring). Ranks are averages
    over ties (so they can be halves); a task missing in a model has no rank there and
    its mean rank uses the models that have it.
    """
    models = list(models or tables)
    if not models:
        raise ValueError("personas: no models given")
    rows = []
    for persona, (table, column, descending) in PERSONAS.items():
        per_model = {m: _ranks(tables[m][table], column, descending) for m in models}
        tasks = sorted({t for r in per_model.values() for t in r})
        stats = {}
        for task in tasks:
            ranks = [per_model[m].get(task, (None, None))[0] for m in models]
            values = [per_model[m].get(task, (None, None))[1] for m in models]
            present = [r for r in ranks if r is not None]
            mean_rank = float(np.mean(present)) if present else math.nan
            n_active = sum(_active(v, descending) for v in values)
            stats[task] = (ranks, values, mean_rank, n_active)
        eligible = [t for t in tasks if stats[t][3] == len(models)]
        if rule.rule == "mean_rank":
            order = sorted(eligible, key=lambda t: (stats[t][2], t))
            cutoff = stats[order[min(rule.top_k, len(order)) - 1]][2] if order else -math.inf
            labelled = {t for t in eligible if stats[t][2] <= cutoff}
        elif rule.rule == "top_k_all":
            labelled = {t for t in eligible if all(r <= rule.top_k for r in stats[t][0])}
        else:
            labelled = {t for t in eligible if all(abs(v) >= rule.threshold for v in stats[t][1])}
        for task in tasks:
            ranks, values, mean_rank, n_active = stats[task]
            rows.append((persona, task, task in labelled, mean_rank, n_active, *ranks, *values))
    schema = {
        "persona": pl.String, "task": pl.String, "label": pl.Boolean, "mean_rank": pl.Float64,
        "n_models_nonzero": pl.Int64,
    }
    schema |= {f"rank_{m}": pl.Float64 for m in models}
    schema |= {f"value_{m}": pl.Float64 for m in models}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    porder = {p: i for i, p in enumerate(PERSONAS)}
    return (
        df.with_columns(pl.col("persona").replace_strict(porder, return_dtype=pl.Int64).alias("_p"))
        .sort(["_p", "label", "mean_rank", "task"], descending=[False, True, False, False], nulls_last=True)
        .drop("_p")
    )


def _rank_text(rank: float | None) -> str:
    return "-" if rank is None else f"{rank:g}"


def describe(personas: pl.DataFrame) -> str:
    """Human-readable lines: each persona's labelled tasks with their per-model ranks."""
    rank_cols = [c for c in personas.columns if c.startswith("rank_")]
    lines = []
    for persona in PERSONAS:
        chosen = personas.filter((pl.col("persona") == persona) & pl.col("label"))
        parts = []
        for row in chosen.iter_rows(named=True):
            ranks = ", ".join(f"{c[5:]}={_rank_text(row[c])}" for c in rank_cols)
            parts.append(f"{row['task']} (ranks {ranks}; mean {row['mean_rank']:.2f})")
        lines.append(f"{persona}s: " + ("; ".join(parts) if parts else "none"))
    return "\n".join(lines)
