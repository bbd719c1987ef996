"""Persona chart: per persona, each task's value in every model, labelled tasks marked."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl

from tasktransfer.analysis.figures.style import label, plt, save
from tasktransfer.analysis.personas import PERSONAS

_TITLES = {
    "donor": "Donors (high $\\Delta^+$ as source)",
    "pirate": "Pirates (strong $\\Delta^-$ as source)",
    "sponge": "Sponges (high positive malleability)",
    "sieve": "Sieves (strong negative malleability)",
}


def persona_chart(personas: pl.DataFrame, rule: str, path_stem: str | os.PathLike[str]) -> list[Path]:
    """2 x 2 grouped bars; tasks ordered by mean rank (ties share their average rank),
    labelled tasks starred and bold. A 0 bar is a model where the task has no transfer of
    the persona's sign, which rules the label out (``personas`` module docstring)."""
    models = [c[6:] for c in personas.columns if c.startswith("value_")]
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    colours = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, max(len(models), 1)))
    for ax, persona in zip(axes.flat, PERSONAS):
        df = personas.filter(pl.col("persona") == persona).sort(["mean_rank", "task"])
        tasks = df["task"].to_list()
        x = np.arange(len(tasks))
        width = 0.8 / max(len(models), 1)
        for k, m in enumerate(models):
            vals = df[f"value_{m}"].fill_null(np.nan).to_numpy()
            ax.bar(x - 0.4 + width * (k + 0.5), vals, width=width, color=colours[k], label=m)
        names = [("* " if lab else "") + label(t) for t, lab in zip(tasks, df["label"].to_list())]
        ax.set_xticks(x, names, rotation=45, ha="right", rotation_mode="anchor", fontsize=7.5)
        for tick, lab in zip(ax.get_xticklabels(), df["label"].to_list()):
            if lab:
                tick.set_fontweight("bold")
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(_TITLES[persona])
        ax.set_ylabel("$\\Delta$")
    axes[0, 0].legend(title="model", fontsize=7, frameon=False)
    fig.suptitle(
        f"Task personas (* = labelled; rule: {rule}, only tasks nonzero in every model); "
        "tasks ordered by mean rank across models"
    )
    fig.tight_layout()
    return save(fig, path_stem)
