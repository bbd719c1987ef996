"""The mixture spec: which tasks a run trains on, how many examples of each, and loss weights.

A spec is the hand-off between the extension studies and the trainer: data selection
writes one per strategy, task balancing one per weighting scheme. It is plain JSON so a
Snakemake checkpoint can write it and an input function can read it back.

Fields
------
name              unique run name, used in result paths (``{target}__{strategy}[_{draw}]``)
study             ``selection`` or ``balance``
target            the task the run is meant to help (``null`` for multi-task balancing)
strategy          selection: ``pgf_topk``, ``random``, ``uniform``, ``direct``;
                  balancing: ``vitw``, ``ew``, ``tla``; VisATB preparation runs:
                  ``mini`` (a mini subset of one task), ``plus_mini`` (all of one
                  task plus mini subsets of the others), ``all_mini`` (mini subsets
                  of every task)
draw              index of a random draw, else ``null``
seed              seed of the study's own draws (random mixtures, mini subsets); the
                  trainer samples each task's examples with the run's training seed
tasks             training tasks, in the order they were chosen
examples          task -> number of training examples to draw
loss_weights      task -> per-token loss weight (1.0 everywhere = plain token mean)
loss_aggregation  ``token`` (VITW / EW: weighted mean over all answer tokens) or
                  ``task`` (TLA: mean within each task, then mean over tasks)
details           free-form provenance (ranked PGF values, q-values, VisATB inputs ...);
                  an empty mixture (no helper passed the filters) carries
                  ``details["skipped"]`` with the reason, and is not trained
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping

from ..atomic import write_json

__all__ = ["MixtureSpec", "read_spec", "read_specs", "write_spec", "STRATEGIES"]

STRATEGIES = (
    "pgf_topk", "random", "uniform", "direct",  # data selection
    "vitw", "ew", "tla",  # balanced multi-task runs
    "mini", "plus_mini", "all_mini",  # VisATB preparation runs (mini_i, i+mini, mini)
)
Aggregation = Literal["token", "task"]


@dataclass(frozen=True)
class MixtureSpec:
    """One training mixture; validated on construction so a bad spec never reaches a GPU."""

    name: str
    study: Literal["selection", "balance"]
    strategy: str
    seed: int
    tasks: tuple[str, ...]
    examples: Mapping[str, int]
    target: str | None = None
    draw: int | None = None
    loss_weights: Mapping[str, float] = field(default_factory=dict)
    loss_aggregation: Aggregation = "token"
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"mixture spec {self.name!r}"
        if self.study not in ("selection", "balance"):
            raise ValueError(f"{where}: `study` must be 'selection' or 'balance', got {self.study!r}")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"{where}: `strategy` must be one of {list(STRATEGIES)}, got {self.strategy!r}")
        if self.loss_aggregation not in ("token", "task"):
            raise ValueError(f"{where}: `loss_aggregation` must be 'token' or 'task', got {self.loss_aggregation!r}")
        if not self.tasks and "skipped" not in self.details:
            raise ValueError(f"{where}: `tasks` is empty; an empty mixture must say why in `details['skipped']`")
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"{where}: `tasks` has duplicates: {list(self.tasks)}")
        if set(self.examples) != set(self.tasks):
            raise ValueError(f"{where}: `examples` keys {sorted(self.examples)} differ from `tasks` {sorted(self.tasks)}")
        for task, n in self.examples.items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{where}: `examples[{task!r}]` must be an integer >= 1, got {n!r}")
        weights = dict(self.loss_weights) or {t: 1.0 for t in self.tasks}
        if set(weights) != set(self.tasks):
            raise ValueError(f"{where}: `loss_weights` keys {sorted(weights)} differ from `tasks` {sorted(self.tasks)}")
        for task, w in weights.items():
            if not (isinstance(w, (int, float)) and math.isfinite(w) and w > 0):
                raise ValueError(f"{where}: `loss_weights[{task!r}]` must be a finite number > 0, got {w!r}")
        object.__setattr__(self, "tasks", tuple(self.tasks))
        object.__setattr__(self, "examples", {t: int(self.examples[t]) for t in self.tasks})
        object.__setattr__(self, "loss_weights", {t: float(weights[t]) for t in self.tasks})

    @property
    def budget(self) -> int:
        return sum(self.examples.values())

    def to_mixture_config(self) -> dict[str, Any]:
        """The trainer's mixture settings (:func:`tasktransfer.train.mixture.components_from_config`).

        Ratios are the example counts themselves, so the trainer's largest-remainder split
        of ``budget`` reproduces ``examples`` exactly; ``loss`` names the aggregation
        (``vitw``: weighted token mean, ``tla``: task-level mean).
        """
        if not self.tasks:
            raise ValueError(f"mixture spec {self.name!r} is empty ({self.details.get('skipped')}); nothing to train")
        return {
            "tasks": {t: {"ratio": float(self.examples[t]), "weight": self.loss_weights[t]} for t in self.tasks},
            "budget": self.budget,
            "seed": self.seed,
            "loss": "tla" if self.loss_aggregation == "task" else "vitw",
        }

    def to_json(self) -> dict[str, Any]:
        record = asdict(self)
        record["tasks"] = list(self.tasks)
        record["examples"] = dict(self.examples)
        record["loss_weights"] = dict(self.loss_weights)
        record["details"] = dict(self.details)
        record["budget"] = self.budget
        return record

    @classmethod
    def from_json(cls, record: Mapping[str, Any], origin: str = "<record>") -> "MixtureSpec":
        known = {f for f in cls.__dataclass_fields__}
        data = {k: v for k, v in record.items() if k in known}
        missing = [k for k in ("name", "study", "strategy", "seed", "tasks", "examples") if k not in data]
        if missing:
            raise ValueError(f"{origin}: mixture spec lacks field(s) {missing}")
        try:
            spec = cls(**data)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{origin}: {exc}") from None
        if "budget" in record and record["budget"] != spec.budget:
            raise ValueError(f"{origin}: `budget` {record['budget']} != sum of `examples` {spec.budget}")
        return spec


def write_spec(path: str | os.PathLike[str], spec: MixtureSpec) -> None:
    """Write a spec atomically as sorted JSON (same spec -> same bytes)."""
    write_json(path, spec.to_json())


def read_spec(path: str | os.PathLike[str]) -> MixtureSpec:
    """Read and validate a spec; errors name the file."""
    p = Path(path)
    try:
        record = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{p}: expected a JSON object, got {type(record).__name__}")
    return MixtureSpec.from_json(record, origin=str(p))


def read_specs(spec_dir: PathLike) -> list[MixtureSpec]:
    """Every ``*.json`` spec in a directory, sorted by name."""
    return [read_spec(p) for p in sorted(Path(spec_dir).glob("*.json"))]
