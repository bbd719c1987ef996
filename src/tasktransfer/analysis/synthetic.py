"""Synthetic study tables with planted transfer, for tests, demos and benchmarks.

The generator draws per-question base correctness, then for each fine-tuned (source,
seed) flips answers towards correct (planted positive transfer) or wrong (negative) with
the planted probability. Accuracy counts are derived from the same predictions, so the
two tables agree exactly as the workflow's outputs do.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import polars as pl

from tasktransfer.analysis.io import BASE


def planted_effects(tasks: Sequence[str], seed: int = 0, scale: float = 0.25) -> np.ndarray:
    """A source x target matrix of flip probabilities in [-scale, scale] (positive = helps)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(-scale, scale, size=(len(tasks), len(tasks))), 3)


def make_study(
    models: Sequence[str],
    tasks: Sequence[str],
    seeds: Sequence[int],
    n_questions: int | Mapping[str, int],
    *,
    seed: int = 0,
    effects: Mapping[str, np.ndarray] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(accuracies, predictions)`` of a full grid: every model's base plus every
    (source, seed) fine-tuned model evaluated on every target.

    ``effects[model]`` is a source x target matrix of flip probabilities (default:
    :func:`planted_effects`). Same arguments give the same tables.
    """
    rng = np.random.default_rng(seed)
    sizes = {t: (n_questions if isinstance(n_questions, int) else n_questions[t]) for t in tasks}
    pred_frames = []
    for mi, model in enumerate(models):
        eff = effects[model] if effects and model in effects else planted_effects(tasks, seed + 1 + mi)
        for j, target in enumerate(tasks):
            n = sizes[target]
            qids = [f"{target}-{q:04d}" for q in range(n)]
            p_base = rng.uniform(0.3, 0.8)
            base = rng.random(n) < p_base
            evals = [(BASE, "", base)]
            for i, source in enumerate(tasks):
                e = float(eff[i, j])
                for s in seeds:
                    flip = rng.random(n) < abs(e)
                    ft = np.where(flip, e > 0, base)
                    evals.append((source, str(s), ft))
            k = len(evals)
            pred_frames.append(
                pl.DataFrame(
                    {
                        "model": [model] * (k * n),
                        "source": np.repeat([e[0] for e in evals], n),
                        "seed": np.repeat([e[1] for e in evals], n),
                        "target": [target] * (k * n),
                        "question_id": qids * k,
                        "correct": np.concatenate([e[2] for e in evals]),
                    }
                )
            )
    predictions = pl.concat(pred_frames)
    accuracies = (
        predictions.group_by(["model", "source", "seed", "target"], maintain_order=True)
        .agg(pl.col("correct").sum().cast(pl.Int64).alias("n_correct"), pl.len().cast(pl.Int64).alias("n_total"))
    )
    return accuracies, predictions
