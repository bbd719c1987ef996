"""Example counts and training settings of extension runs (pure Python, cheap to import).

The workflow's input functions call these at planning time, so this module imports
nothing heavy.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from .settings import BalanceSettings

__all__ = ["mini_count", "mixture_train_params", "multitask_train_params"]


def mini_count(n: int, fraction: float) -> int:
    """Size of a mini subset: ``ceil(fraction * n)``, at least one example."""
    if not 0 < fraction <= 1:
        raise ValueError(f"mini fraction must be in (0, 1], got {fraction!r}")
    return max(1, math.ceil(fraction * n))


def mixture_train_params(direct: Mapping[str, Any], n_direct: int, budget: int) -> dict[str, Any]:
    """Training settings of a mixture run derived from a task's direct-run settings.

    ``max_examples`` becomes the mixture's budget (the trainer's mixture reads it so); a
    step-limited schedule is scaled by ``budget / n_direct`` so the run makes as many
    passes over its data as the direct run (epoch-based schedules need no change).
    """
    params = dict(direct)
    params["max_examples"] = int(budget)
    if params.get("max_steps"):
        params["max_steps"] = max(1, math.ceil(params["max_steps"] * budget / n_direct))
    return params


def multitask_train_params(per_task: Mapping[str, Mapping[str, Any]], settings: BalanceSettings) -> dict[str, Any]:
    """Settings of the multi-task runs: the first task's, with one lr and an epoch schedule.

    ``lr`` defaults to the smallest task lr, ``epochs`` to the largest task ``epochs`` (1
    if every task is step-limited); a step limit never applies to the multi-task runs.
    """
    if not per_task:
        raise ValueError("multitask_train_params: no tasks")
    first = dict(next(iter(per_task.values())))
    lrs = [float(p["lr"]) for p in per_task.values()]
    epochs = [float(p["epochs"]) for p in per_task.values() if p.get("epochs")]
    first.update(
        lr=settings.lr if settings.lr is not None else min(lrs),
        epochs=settings.epochs if settings.epochs is not None else (max(epochs) if epochs else 1.0),
        max_steps=None,
    )
    return first
