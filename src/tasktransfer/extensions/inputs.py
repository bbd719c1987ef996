"""Reading the extension studies' inputs: PGF / q-value matrices and run accuracies.

The selection checkpoint reads the analysis' seed-mean PGF matrix (``pgf_matrix.csv``:
a ``source`` column, one column per target) and optionally a significance matrix in the
same layout or as a long table. VisATB needs mean validation accuracies of the
single-task, mini-subset and base runs, which come from long accuracy tables
(``source, seed, target, n_correct, n_total``, the evaluator's ``accuracy.csv``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["mean_accuracy", "performance_matrix", "read_matrix"]

PathLike = str | os.PathLike[str]


def read_matrix(path: PathLike, value: str | None = None) -> pd.DataFrame:
    """A source x target matrix from CSV: wide (``source`` + target columns) or long.

    A long file has columns ``source``, ``target`` and ``value`` (name it with ``value``,
    e.g. ``q`` or ``pgf_mean``). Empty cells become NaN. Errors name the file.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    df = pd.read_csv(p, dtype={"source": str, "target": str})
    if "source" not in df.columns:
        raise ValueError(f"{p}: missing column 'source'; expected a wide matrix or a long table with source, target")
    if value is not None:
        missing = [c for c in ("target", value) if c not in df.columns]
        if missing:
            raise ValueError(f"{p}: missing column(s) {missing} for a long matrix with values in {value!r}")
        if df.duplicated(["source", "target"]).any():
            dup = df.loc[df.duplicated(["source", "target"]), ["source", "target"]].iloc[0].tolist()
            raise ValueError(f"{p}: duplicate cell source={dup[0]!r} target={dup[1]!r}")
        wide = df.pivot(index="source", columns="target", values=value)
    else:
        if df["source"].duplicated().any():
            raise ValueError(f"{p}: duplicate source row(s) {sorted(df.loc[df['source'].duplicated(), 'source'])}")
        wide = df.set_index("source")
    try:
        wide = wide.astype(float)
    except ValueError as exc:
        raise ValueError(f"{p}: non-numeric matrix value ({exc})") from None
    wide.index.name = "source"
    wide.columns.name = "target"
    return wide


def mean_accuracy(acc: pd.DataFrame, where: str = "accuracies") -> pd.DataFrame:
    """Seed-mean accuracy per (source, target) from a long table with counts.

    Columns in: ``source, target, n_correct, n_total`` (``seed`` optional); out:
    ``source, target, accuracy, n_seeds``. Impossible counts are an error naming the row.
    """
    missing = [c for c in ("source", "target", "n_correct", "n_total") if c not in acc.columns]
    if missing:
        raise ValueError(f"{where}: missing column(s) {missing}; expected source, seed, target, n_correct, n_total")
    k = pd.to_numeric(acc["n_correct"], errors="coerce")
    m = pd.to_numeric(acc["n_total"], errors="coerce")
    bad = k.isna() | m.isna() | (m <= 0) | (k < 0) | (k > m)
    if bad.any():
        row = acc.loc[bad].iloc[0]
        raise ValueError(
            f"{where}: row source={row['source']!r} target={row['target']!r}: n_correct={row['n_correct']}, "
            f"n_total={row['n_total']}; expected 0 <= n_correct <= n_total and n_total > 0"
        )
    frame = pd.DataFrame({"source": acc["source"].astype(str), "target": acc["target"].astype(str), "accuracy": k / m})
    out = frame.groupby(["source", "target"], sort=False).agg(accuracy=("accuracy", "mean"), n_seeds=("accuracy", "size"))
    return out.reset_index()


def performance_matrix(mean_acc: pd.DataFrame, tasks: Sequence[str], sources: Sequence[str] | None = None) -> pd.DataFrame:
    """``V.loc[i, j]``: mean accuracy on ``j`` of the run labelled ``sources[i]``.

    ``sources`` defaults to ``tasks`` (the single-task grid); pass run labels such as
    ``[f"{t}+mini" for t in tasks]`` for the full form; rows are then relabelled with
    ``tasks`` so the result is square. A missing cell is an error naming it.
    """
    sources = list(tasks) if sources is None else list(sources)
    if len(sources) != len(tasks):
        raise ValueError(f"{len(sources)} run labels for {len(tasks)} tasks")
    lookup = {(s, t): a for s, t, a in mean_acc[["source", "target", "accuracy"]].itertuples(index=False)}
    values = np.empty((len(tasks), len(tasks)))
    for i, s in enumerate(sources):
        for j, t in enumerate(tasks):
            if (s, t) not in lookup:
                raise ValueError(f"no accuracy for the run {s!r} evaluated on {t!r}")
            values[i, j] = lookup[(s, t)]
    return pd.DataFrame(values, index=list(tasks), columns=list(tasks))
