"""Category-wise transfer heatmaps (paper Figs. 6-7): one row per model, Delta+ and Delta-."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import seaborn as sns

from tasktransfer.analysis.figures.style import plt, save


def category_heatmaps(
    categories: pl.DataFrame, scheme: str, path_stem: str | os.PathLike[str], malleability: bool = False
) -> list[Path]:
    """For ``scheme``: a grid of models x {Delta+, Delta-}.

    Transfer (default): giving (source) category rows, receiving (target) columns.
    ``malleability``: receiving (target) category rows, giving (source) columns.
    """
    rows, cols = ("target_category", "source_category") if malleability else ("source_category", "target_category")
    df = categories.filter(pl.col("scheme") == scheme)
    models = df["model"].unique(maintain_order=True).to_list()
    groups = df[rows].unique(maintain_order=True).to_list()
    fig, axes = plt.subplots(len(models), 2, figsize=(8, 3.0 * len(models)), squeeze=False)
    for r, model in enumerate(models):
        sub = df.filter(pl.col("model") == model)
        for c, (col, cmap) in enumerate((("delta_pos", "Blues"), ("delta_neg", "Reds_r"))):
            grid = np.full((len(groups), len(groups)), np.nan)
            for a, b, v in sub.select(rows, cols, col).iter_rows():
                if v is not None:
                    grid[groups.index(a), groups.index(b)] = v
            ax = axes[r, c]
            sns.heatmap(grid, ax=ax, cmap=cmap, annot=True, fmt=".3f", xticklabels=groups, yticklabels=groups,
                        linewidths=0.5, linecolor="white", cbar=True, square=True, annot_kws={"fontsize": 8})
            symbol = r"$\Delta^+$" if col == "delta_pos" else r"$\Delta^-$"
            ax.set_title(f"{model}: {symbol}")
            ax.set_xlabel(cols.replace("_", " "))
            ax.set_ylabel(rows.replace("_", " "))
            ax.tick_params(axis="y", labelrotation=0)
    what = "Malleability of" if malleability else "Transfer between"
    fig.suptitle(f"{what} {scheme} categories (eqs. 3-4{', read down the columns' if malleability else ''})")
    fig.tight_layout()
    return save(fig, path_stem)
