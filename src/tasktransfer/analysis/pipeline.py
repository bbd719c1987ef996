"""The analysis entry point the workflow calls: accuracy tables in, every output out.

``run`` writes into a temporary directory and renames it onto ``out_dir`` only when all
outputs exist, so a failed analysis never leaves a partial result directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import polars as pl

from tasktransfer.analysis import io
from tasktransfer.analysis.figures.heatmap import pgf_heatmap
from tasktransfer.analysis.pgf import compute_pgf, to_matrix
from tasktransfer.analysis.settings import AnalysisSettings
from tasktransfer.atomic import atomic_dir

PathLike = str | os.PathLike[str]


def write_model_pgf(
    model: str, per_seed: pl.DataFrame | None, summary: pl.DataFrame, out_dir: PathLike, settings: AnalysisSettings
) -> None:
    """Write one model's ``pgf_seed.csv`` (long, if given), ``pgf_summary.csv``,
    ``pgf_matrix.csv`` (rows source, columns target, seed mean) and its heatmap.

    Files go to ``out_dir/<model>/``; the heatmap to ``out_dir/figures/<model>_pgf_heatmap.{png,pdf}``.
    """
    out = Path(out_dir)
    model_dir = out / io.check_model_name(model, "analysis")
    if per_seed is not None:
        io.write_csv(per_seed, model_dir / "pgf_seed.csv")
    io.write_csv(summary, model_dir / "pgf_summary.csv")
    matrix = to_matrix(summary, settings.tasks)
    io.write_csv(matrix.to_frame(), model_dir / "pgf_matrix.csv")
    pgf_heatmap(matrix, f"PGF, {model} (mean over seeds)", out / "figures" / f"{model}_pgf_heatmap")


def run(
    accuracies: PathLike | list[PathLike],
    out_dir: PathLike,
    settings: Mapping[str, Any] | None = None,
    predictions: PathLike | list[PathLike] | None = None,
    adapters: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Run the analysis of a long accuracy table into ``out_dir``.

    Parameters
    ----------
    accuracies
        CSV/Parquet file(s) with columns model, source (task or ``base``), seed (empty
        for a single base), target, n_correct, n_total.
    out_dir
        Result directory; replaced atomically when the analysis succeeds.
    settings
        The config's ``analysis:`` mapping (keys and defaults: ``analysis/defaults.yaml``).
    predictions
        Optional per-question correctness (model, source, seed, target, question_id,
        correct) for per-cell tests and bootstrap confidence intervals.
    adapters
        Optional ``{model: {task: [adapter_dir, ...one per seed]}}`` for LoRA similarity.
    """
    cfg = AnalysisSettings.from_mapping(settings)
    acc = io.read_accuracies(accuracies, cfg.tasks)
    per_seed, summary = compute_pgf(acc, cfg)
    with atomic_dir(out_dir) as tmp:
        for model in summary["model"].unique(maintain_order=True).to_list():
            write_model_pgf(
                model,
                per_seed.filter(pl.col("model") == model),
                summary.filter(pl.col("model") == model),
                tmp,
                cfg,
            )
