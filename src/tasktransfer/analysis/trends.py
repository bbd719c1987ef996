"""Transfer across model sizes (sec. 3.2, Fig. 3): mean Delta+/- per model."""

from __future__ import annotations

import re
from typing import Mapping

import polars as pl

TREND_COLUMNS = (
    "model", "size_b", "mean_delta_pos", "mean_delta_neg", "mean_malleability_pos", "mean_malleability_neg", "n_sources",
)

_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[Bb](?![A-Za-z])")


def parse_size(model: str) -> float | None:
    """Billions of parameters from a name such as ``Qwen2.5-VL-32B-Instruct`` or ``3B``.

    >>> parse_size("Qwen2.5-VL-32B-Instruct"), parse_size("qwen-2.5vl-3b"), parse_size("tiny")
    (32.0, 3.0, None)
    """
    found = _SIZE.findall(model)
    return float(found[-1]) if found else None


def trends(
    transfer: Mapping[str, pl.DataFrame], malleability: Mapping[str, pl.DataFrame], sizes: Mapping[str, float] | None = None
) -> pl.DataFrame:
    """One row per model (columns :data:`TREND_COLUMNS`), ordered by size then name.

    Sizes come from ``sizes`` when given there, else from the model name; unknown sizes
    are null and sort last.
    """
    sizes = sizes or {}
    rows = []
    for model, t in transfer.items():
        m = malleability[model]
        size = sizes.get(model, parse_size(model))
        rows.append(
            (model, size, t["delta_pos"].mean(), t["delta_neg"].mean(), m["delta_pos"].mean(), m["delta_neg"].mean(), t.height)
        )
    schema = dict(zip(TREND_COLUMNS, [pl.String] + [pl.Float64] * 5 + [pl.Int64]))
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["size_b", "model"], nulls_last=True)
