"""PGF heatmap per model (paper Fig. 2a/5): diverging colours centred at 0, annotated."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import seaborn as sns

from tasktransfer.analysis.figures.style import label, plt, save
from tasktransfer.analysis.pgf import Matrix


def colour_limit(values: np.ndarray) -> tuple[float, str]:
    """Symmetric colour limit and the colour bar's ``extend`` for a PGF matrix.

    The limit is the 98th percentile of the non-zero |PGF|: exact zeros mean "no change"
    and, in a sparse matrix, would pull the limit towards 0 and saturate every real cell.
    Cells beyond the limit are marked by arrows on the colour bar (``extend``).
    """
    finite = values[np.isfinite(values)]
    nonzero = np.abs(finite[finite != 0])
    vmax = float(np.percentile(nonzero, 98)) if nonzero.size else 1.0
    low, high = bool((finite < -vmax).any()), bool((finite > vmax).any())
    return vmax, {(True, True): "both", (True, False): "min", (False, True): "max"}.get((low, high), "neither")


def pgf_heatmap(
    matrix: Matrix, title: str, path_stem: str | os.PathLike[str], *, cbar_label: str = "PGF (seed mean)"
) -> list[Path]:
    """Draw ``matrix`` (rows source, columns target) as an annotated diverging heatmap.

    The colour scale is symmetric around 0 and clipped (:func:`colour_limit`) so one large
    negative cell (PGF is unbounded below) does not wash out the rest; annotations always
    show the true value. Empty (NaN) cells are left blank.
    """
    values = matrix.values
    vmax, extend = colour_limit(values)
    n_rows, n_cols = values.shape
    fig, ax = plt.subplots(figsize=(1.0 + 0.62 * n_cols, 1.2 + 0.5 * n_rows))
    sns.heatmap(
        values,
        ax=ax,
        cmap="RdBu",
        center=0.0,
        vmin=-vmax,
        vmax=vmax,
        annot=True,
        fmt=".2f",
        annot_kws={"fontsize": 7},
        linewidths=0.4,
        linecolor="white",
        xticklabels=[label(t) for t in matrix.targets],
        yticklabels=[label(t) for t in matrix.sources],
        cbar_kws={"label": cbar_label, "shrink": 0.8, "extend": extend},
        mask=~np.isfinite(values),
    )
    ax.set_xlabel("Target task (evaluated)")
    ax.set_ylabel("Source task (fine-tuned)")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=45)
    plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
    ax.tick_params(axis="y", labelrotation=0)
    return save(fig, path_stem)
