"""PGF behaviour (App. B, Fig. 4): PGF as a function of baseline accuracy x and change k."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from tasktransfer.analysis.figures.style import plt, save


def pgf_grid(x: np.ndarray, k: np.ndarray, upper: float = 100.0) -> np.ndarray:
    """PGF = k / (U - x) on a grid of baselines ``x`` and changes ``k`` (percent);
    NaN where x + k leaves [0, U] or x >= U."""
    xx, kk = np.meshgrid(x, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = kk / (upper - xx)
    z[(xx + kk < 0) | (xx + kk > upper) | (xx >= upper)] = np.nan
    return z


def pgf_surface(path_stem: str | os.PathLike[str], m: int = 200) -> list[Path]:
    """(a) filled contours of PGF(x, k), colour clipped at -5 (PGF is unbounded below),
    (b) PGF against k for a few baselines, with the -(m-1) floor of ``m`` questions noted."""
    x = np.linspace(0, 99, 400)
    k = np.linspace(-100, 100, 401)
    z = pgf_grid(x, k)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    clipped = np.clip(z, -5, 1)
    cs = ax1.contourf(x, k, clipped, levels=np.concatenate([np.linspace(-5, 0, 21), np.linspace(0.1, 1, 10)]), cmap="RdBu", norm=TwoSlopeNorm(0, -5, 1))
    lines = ax1.contour(x, k, z, levels=[-3, -1, -0.5, 0, 0.5, 0.9], colors="k", linewidths=0.6)
    ax1.clabel(lines, fmt="%g", fontsize=7)
    fig.colorbar(cs, ax=ax1, label="PGF (colour clipped at -5)")
    ax1.set_xlabel("baseline accuracy x (%)")
    ax1.set_ylabel("change after fine-tuning k (points)")
    ax1.set_title("(a) PGF(x, k) = k / (100 - x)")
    for base in (25, 50, 75, 90, 95):
        kk = np.linspace(-base, 100 - base, 300)
        ax2.plot(kk, kk / (100 - base), label=f"x = {base}%")
    ax2.axhline(1, color="grey", ls="--", lw=0.8)
    ax2.text(-100, 1.15, "upper bound 1 (gap closed)", fontsize=7, color="grey")
    ax2.axhline(0, color="black", lw=0.6)
    ax2.set_ylim(-10, 2)
    ax2.set_xlabel("change after fine-tuning k (points)")
    ax2.set_ylabel("PGF")
    ax2.set_title(f"(b) slices; with m = {m} questions PGF >= -(m-1) = {-(m - 1)}")
    ax2.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return save(fig, path_stem)
