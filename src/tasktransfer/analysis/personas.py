"""Task personas (sec. 3.3): donors, pirates, sponges and sieves across models.

The paper labels a task by behaviour "consistent across models" without a rule; here the
rule is explicit (:class:`settings.PersonaRule`) and the per-model ranks and values
behind every label are part of the output, so a reader can check or change the call.
Rank 1 is the strongest: highest Delta+ for donors/sponges, most negative Delta- for
pirates/sieves.
"""

from __future__ import annotations

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


def _ranks(table: pl.DataFrame, column: str, descending: bool) -> dict[str, tuple[int, float]]:
    """task -> (rank, value); ties share the lowest rank ("min"), ties broken by nothing."""
    ranked = table.select(
        "task",
        pl.col(column).alias("value"),
        pl.col(column).rank("min", descending=descending).cast(pl.Int64).alias("rank"),
    )
    return {t: (r, v) for t, v, r in ranked.iter_rows()}


def assign_personas(
    tables: Mapping[str, Mapping[str, pl.DataFrame]], rule: PersonaRule, models: list[str] | None = None
) -> pl.DataFrame:
    """Label personas from per-model ``{"transferability": df, "malleability": df}`` tables.

    Returns one row per (persona, task): ``persona, task, label, mean_rank``, then
    ``rank_<model>`` and ``value_<model>`` for each model, sorted by persona, then label
    first, then mean rank and name. Tasks missing in a model get no rank there; the mean
    rank uses the models that have the task, ``top_k_all``/``threshold_all`` need all.
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
            ranks = [per_model[m][task][0] if task in per_model[m] else None for m in models]
            values = [per_model[m][task][1] if task in per_model[m] else None for m in models]
            present = [r for r in ranks if r is not None]
            stats[task] = (ranks, values, float(np.mean(present)) if present else float("nan"))
        sign = 1 if descending else -1
        # A label needs the behaviour itself: a donor must transfer positively somewhere in
        # some model, whatever its rank (a task with Delta+ = 0 everywhere is no donor).
        eligible = [t for t in tasks if any(v is not None and sign * v > 0 for v in stats[t][1])]
        if rule.rule == "mean_rank":
            order = sorted(eligible, key=lambda t: (stats[t][2], t))
            cutoff = stats[order[min(rule.top_k, len(order)) - 1]][2] if order else -1.0
            labelled = {t for t in eligible if stats[t][2] <= cutoff}
        elif rule.rule == "top_k_all":
            labelled = {t for t in eligible if all(r is not None and r <= rule.top_k for r in stats[t][0])}
        else:
            labelled = {
                t for t in eligible if all(v is not None and sign * v >= rule.threshold and v != 0 for v in stats[t][1])
            }
        for task in tasks:
            ranks, values, mean_rank = stats[task]
            rows.append((persona, task, task in labelled, mean_rank, *ranks, *values))
    schema = {"persona": pl.String, "task": pl.String, "label": pl.Boolean, "mean_rank": pl.Float64}
    schema |= {f"rank_{m}": pl.Int64 for m in models}
    schema |= {f"value_{m}": pl.Float64 for m in models}
    df = pl.DataFrame(rows, schema=schema, orient="row")
    porder = {p: i for i, p in enumerate(PERSONAS)}
    return (
        df.with_columns(pl.col("persona").replace_strict(porder, return_dtype=pl.Int64).alias("_p"))
        .sort(["_p", "label", "mean_rank", "task"], descending=[False, True, False, False])
        .drop("_p")
    )


def describe(personas: pl.DataFrame) -> str:
    """Human-readable lines: each persona's labelled tasks with their per-model ranks."""
    rank_cols = [c for c in personas.columns if c.startswith("rank_")]
    lines = []
    for persona in PERSONAS:
        chosen = personas.filter((pl.col("persona") == persona) & pl.col("label"))
        parts = []
        for row in chosen.iter_rows(named=True):
            ranks = ", ".join(f"{c[5:]}={row[c] if row[c] is not None else '-'}" for c in rank_cols)
            parts.append(f"{row['task']} (ranks {ranks}; mean {row['mean_rank']:.2f})")
        lines.append(f"{persona}s: " + ("; ".join(parts) if parts else "none"))
    return "\n".join(lines)
