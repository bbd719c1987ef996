"""LoRA update similarity heatmap (paper Figs. 8-10)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import seaborn as sns

from tasktransfer.analysis.figures.style import label, plt, save


def similarity_heatmap(sim: np.ndarray, tasks: list[str], title: str, path_stem: str | os.PathLike[str]) -> list[Path]:
    """Annotated cosine-similarity heatmap of tasks' LoRA updates (diverging, centred at 0)."""
    n = len(tasks)
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * n, 1.0 + 0.5 * n))
    sns.heatmap(sim, ax=ax, cmap="RdBu", center=0.0, vmin=-1, vmax=1, annot=True, fmt=".2f", square=True,
                annot_kws={"fontsize": 7}, xticklabels=[label(t) for t in tasks], yticklabels=[label(t) for t in tasks],
                linewidths=0.4, linecolor="white", cbar_kws={"label": "cosine similarity", "shrink": 0.8})
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=45)
    ax.tick_params(axis="y", labelrotation=0)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    return save(fig, path_stem)
