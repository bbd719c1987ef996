"""Transferability and malleability trends across model sizes (paper Fig. 3)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np
import polars as pl

from tasktransfer.analysis.figures.style import plt, save
from tasktransfer.analysis.trends import parse_size


def trend_figure(trends: pl.DataFrame, transfer: Mapping[str, pl.DataFrame], path_stem: str | os.PathLike[str]) -> list[Path]:
    """Two panels (positive, negative): per-task Delta as dots, the model mean as a bar.

    Models are in the order of ``trends`` (by size); the x labels carry the size.
    """
    models = trends["model"].to_list()
    sizes = trends["size_b"].to_list()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, col, mean_col, colour, name in (
        (axes[0], "delta_pos", "mean_delta_pos", "#2166ac", "Positive transferability $\\Delta^+$"),
        (axes[1], "delta_neg", "mean_delta_neg", "#b2182b", "Negative transferability $\\Delta^-$"),
    ):
        x = np.arange(len(models))
        means = trends[mean_col].to_list()
        ax.bar(x, means, color=colour, alpha=0.35, width=0.6, label="mean over source tasks")
        ax.plot(x, means, color=colour, marker="o", lw=1.5)
        rng = np.random.default_rng(0)
        for k, m in enumerate(models):
            vals = transfer[m][col].to_numpy()
            ax.scatter(k + rng.uniform(-0.18, 0.18, vals.size), vals, s=10, color="#555555", zorder=3,
                       label="source tasks" if k == 0 else None)
        for k, v in enumerate(means):
            ax.annotate(f"{v:.3f}", (k, v), textcoords="offset points", xytext=(0, 6 if v >= 0 else -12),
                        ha="center", fontsize=8)
        ax.set_xticks(x, [m if s is None or parse_size(m) == s else f"{m}\n({s:g}B)" for m, s in zip(models, sizes)])
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(name)
        ax.set_xlabel("Model")
    axes[0].set_ylabel("Transferability")
    axes[0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return save(fig, path_stem)
