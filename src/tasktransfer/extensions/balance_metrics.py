"""Overall improvement and imbalance of a multi-task model against single-task models.

VisATB (Dai et al., eq. 9) summarises a multi-task run with two numbers, both relative
to single-task learning (STL, one model per task):

* ``I_i``: the relative change on task ``i``, averaged over that task's ``K_i`` metrics,
  with the sign flipped for lower-is-better metrics;
* ``Delta I %`` = mean of ``I_i`` (overall improvement, higher is better);
* ``Delta E %`` = mean of ``max(0, -I_i)`` (how much some tasks lose, lower is better).

Both are reported in percent. In this project every task has one metric (accuracy,
higher is better), but the long-table form keeps the paper's general definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["BalanceSummary", "per_task_improvement", "balance_summary"]

_REQUIRED = ("task", "metric", "value", "higher_is_better")


def _as_long(values: pd.DataFrame | Mapping[str, float], name: str) -> pd.DataFrame:
    """Accept a long table (task, metric, value, higher_is_better) or task -> accuracy."""
    if isinstance(values, pd.DataFrame):
        missing = [c for c in _REQUIRED if c not in values.columns]
        if missing:
            raise ValueError(f"`{name}` lacks column(s) {missing}; expected {list(_REQUIRED)}")
        frame = values.loc[:, list(_REQUIRED)].copy()
    else:
        frame = pd.DataFrame(
            {"task": list(values), "metric": "accuracy", "value": list(values.values()), "higher_is_better": True}
        )
    frame["value"] = frame["value"].astype(float)
    dup = frame.duplicated(["task", "metric"])
    if dup.any():
        raise ValueError(f"`{name}` has duplicate (task, metric) rows: {frame.loc[dup, ['task', 'metric']].values.tolist()}")
    if not np.isfinite(frame["value"]).all():
        raise ValueError(f"`{name}` has non-finite values: {frame.loc[~np.isfinite(frame['value'])].values.tolist()}")
    return frame


def per_task_improvement(
    method: pd.DataFrame | Mapping[str, float], stl: pd.DataFrame | Mapping[str, float]
) -> pd.Series:
    """``I_i`` in percent for each task (VisATB eq. 9), in the order tasks appear in ``stl``.

    Parameters
    ----------
    method, stl : DataFrame or mapping
        The evaluated method and the single-task baseline, either as task -> accuracy or
        as long tables with columns ``task, metric, value, higher_is_better``. Both must
        cover the same (task, metric) pairs.

    Raises
    ------
    ValueError
        On mismatched coverage, disagreeing metric directions or a zero baseline value
        (the relative change is undefined).
    """
    m = _as_long(method, "method")
    b = _as_long(stl, "stl")
    keys_m = set(zip(m["task"], m["metric"]))
    keys_b = set(zip(b["task"], b["metric"]))
    if keys_m != keys_b:
        raise ValueError(
            f"method and stl cover different (task, metric) pairs: only in method {sorted(keys_m - keys_b)}, "
            f"only in stl {sorted(keys_b - keys_m)}"
        )
    merged = b.merge(m, on=["task", "metric"], suffixes=("_stl", "_method"), sort=False)
    conflict = merged["higher_is_better_stl"] != merged["higher_is_better_method"]
    if conflict.any():
        raise ValueError(f"metric direction differs between method and stl for {merged.loc[conflict, ['task', 'metric']].values.tolist()}")
    zero = merged["value_stl"] == 0
    if zero.any():
        raise ValueError(f"stl value is 0 for {merged.loc[zero, ['task', 'metric']].values.tolist()}; relative change undefined")
    sign = np.where(merged["higher_is_better_stl"].astype(bool), 1.0, -1.0)
    merged["rel"] = sign * (merged["value_method"] - merged["value_stl"]) / merged["value_stl"] * 100.0
    order = list(dict.fromkeys(b["task"]))
    return merged.groupby("task", sort=False)["rel"].mean().reindex(order).rename("improvement_pct")


@dataclass(frozen=True)
class BalanceSummary:
    """``Delta I %`` and ``Delta E %`` with the per-task ``I_i`` behind them."""

    delta_i_pct: float
    delta_e_pct: float
    per_task: pd.Series


def balance_summary(
    method: pd.DataFrame | Mapping[str, float], stl: pd.DataFrame | Mapping[str, float]
) -> BalanceSummary:
    """Overall improvement and imbalance of ``method`` against ``stl`` (VisATB eq. 9).

    Examples
    --------
    >>> s = balance_summary({"a": 0.55, "b": 0.45}, {"a": 0.50, "b": 0.50})
    >>> round(s.delta_i_pct, 6), round(s.delta_e_pct, 6)
    (0.0, 5.0)
    """
    per_task = per_task_improvement(method, stl)
    return BalanceSummary(
        delta_i_pct=float(per_task.mean()),
        delta_e_pct=float(np.maximum(0.0, -per_task.to_numpy()).mean()),
        per_task=per_task,
    )
