"""A training set drawn from several tasks' splits with set proportions and loss weights.

Used by the data-selection and task-balancing studies: each component is one task's
canonical split with a sampling ``ratio`` (share of the example budget) and a loss
``weight`` (applied per token by :func:`~tasktransfer.train.weighted_loss.vitw_loss`).

The plan is a pure function of (components, budget, seed):

* per-task counts are the budget split by ratio with the largest-remainder method on
  exact fractions (ties go to the earlier component), so counts always sum to the budget;
* each task's rows are drawn without replacement from a seeded permutation; a task asked
  for more rows than it has cycles through fresh permutations (every row is used once
  before any is repeated);
* each task's generator is seeded from (seed, task name), so adding or dropping a task
  does not change which rows the other tasks get;
* the combined list is shuffled once more with the seed.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..splits import read_split

_COLUMNS = ["id", "task", "images", "question", "answer"]


@dataclass(frozen=True)
class MixtureComponent:
    """One task's split in a mixture."""

    task: str
    path: Path
    ratio: float = 1.0
    weight: float = 1.0

    def __post_init__(self) -> None:
        where = f"mixture component {self.task!r}"
        if not (self.ratio >= 0 and np.isfinite(self.ratio)):
            raise ValueError(f"{where}: `ratio` must be a finite number >= 0, got {self.ratio!r}")
        if not (self.weight >= 0 and np.isfinite(self.weight)):
            raise ValueError(f"{where}: `weight` must be a finite number >= 0, got {self.weight!r}")


def components_from_config(tasks: Mapping[str, Mapping[str, Any]], paths: Mapping[str, str | Path]) -> list[MixtureComponent]:
    """Build components from ``{task: {ratio:, weight:}}`` and ``{task: split path}``."""
    out = []
    for task, cfg in tasks.items():
        if task not in paths:
            raise KeyError(f"mixture task {task!r} has no split path; known: {', '.join(sorted(paths))}")
        unknown = set(cfg) - {"ratio", "weight"}
        if unknown:
            raise ValueError(f"mixture task {task!r}: unknown keys {sorted(unknown)}; expected ratio, weight")
        out.append(MixtureComponent(task, Path(paths[task]), float(cfg.get("ratio", 1.0)), float(cfg.get("weight", 1.0))))
    return out


def apportion(budget: int, ratios: Sequence[float]) -> list[int]:
    """Split ``budget`` into integer counts proportional to ``ratios`` (largest remainder)."""
    if budget < 0:
        raise ValueError(f"example budget must be >= 0, got {budget}")
    exact = [Fraction(r) for r in ratios]
    total = sum(exact)
    if total <= 0:
        raise ValueError("mixture ratios sum to 0; give at least one positive ratio")
    quotas = [budget * r / total for r in exact]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: budget - sum(counts)]:
        counts[i] += 1
    return counts


def task_seed(seed: int, task: str) -> np.random.SeedSequence:
    """A generator seed that depends only on the run seed and the task's name."""
    return np.random.SeedSequence([int(seed), zlib.crc32(task.encode("utf-8"))])


def draw_rows(n_rows: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` row indices of ``n_rows``: full seeded permutations, then a partial one."""
    if count and not n_rows:
        raise ValueError("cannot draw examples from an empty split")
    passes = [rng.permutation(n_rows) for _ in range(-(-count // n_rows))] if count else []
    return np.concatenate(passes)[:count] if passes else np.zeros(0, dtype=np.int64)


class MixtureDataset:
    """Examples of a mixture in a fixed seeded order; items carry ``task`` and ``loss_weight``.

    Item dicts have the keys of a single-split dataset (``id``, ``task``, ``images`` as
    bytes, ``question``, ``answer``) plus ``loss_weight`` and ``task_index`` (position of
    the task among the components). Splits stay as Arrow tables
    (compressed images), rows are materialised per item.
    """

    def __init__(self, components: Sequence[MixtureComponent], budget: int, seed: int) -> None:
        if not components:
            raise ValueError("a mixture needs at least one component")
        names = [c.task for c in components]
        dupes = [t for t, n in Counter(names).items() if n > 1]
        if dupes:
            raise ValueError(f"mixture lists task(s) {dupes} more than once")
        self.components = list(components)
        self.budget = int(budget)
        self.seed = int(seed)
        self._tables: list[pa.Table] = []
        counts = apportion(self.budget, [c.ratio for c in components])
        plan = []
        for k, (comp, count) in enumerate(zip(components, counts)):
            table = read_split(comp.path, columns=_COLUMNS)
            bad = set(table.column("task").unique().to_pylist()) - {comp.task}
            if bad:
                raise ValueError(f"{comp.path}: rows of task(s) {sorted(bad)} in the split given for {comp.task!r}")
            self._tables.append(table)
            rows = draw_rows(table.num_rows, count, np.random.default_rng(task_seed(self.seed, comp.task)))
            plan.append(np.stack([np.full(count, k), rows], axis=1) if count else np.zeros((0, 2), dtype=np.int64))
        order = np.concatenate(plan)
        perm = np.random.default_rng(np.random.SeedSequence([self.seed, len(components)])).permutation(len(order))
        self.plan = order[perm].astype(np.int64)
        self.counts = {c.task: n for c, n in zip(components, counts)}

    def __len__(self) -> int:
        return len(self.plan)

    def __getitem__(self, i: int) -> dict[str, Any]:
        k, row = (int(v) for v in self.plan[i])
        rec = self._tables[k].slice(row, 1).to_pylist()[0]
        return {
            "id": rec["id"],
            "task": rec["task"],
            "images": [img["bytes"] for img in rec["images"]],
            "question": rec["question"],
            "answer": rec["answer"],
            "loss_weight": self.components[k].weight,
            "task_index": k,
        }

    def describe(self) -> dict[str, Any]:
        """What was drawn, for the run's metrics file."""
        return {
            "budget": self.budget,
            "seed": self.seed,
            "tasks": {
                c.task: {"ratio": c.ratio, "weight": c.weight, "examples": self.counts[c.task], "available": t.num_rows}
                for c, t in zip(self.components, self._tables)
            },
        }
