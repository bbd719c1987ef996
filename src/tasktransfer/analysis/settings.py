"""Analysis settings: the config's ``analysis:`` mapping as a validated dataclass.

Every choice the paper leaves open (diagonal, ceiling handling, the persona rule, the
significance test, task categories) is a named setting with a documented default, so a
result can always be traced back to the rule that produced it. The defaults live in
``defaults.yaml`` next to this module (also the reference for the config keys).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal, Mapping

import yaml

from tasktransfer.tasks import BLINK_TASKS

_CEILING = ("flag", "error")
_PERSONA_RULES = ("mean_rank", "top_k_all", "threshold_all")
_CORRECTIONS = ("bh", "by", "none")
_TESTS = ("seeds_questions", "pooled_mcnemar")


def default_mapping() -> dict[str, Any]:
    """The packaged default ``analysis:`` mapping (a fresh copy)."""
    text = resources.files("tasktransfer.analysis").joinpath("defaults.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _merge(base: dict[str, Any], override: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Deep-merge ``override`` into ``base``; unknown keys are an error (typos must not pass)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in out:
            raise ValueError(f"analysis settings: unknown key `{where}{key}`; valid keys: {', '.join(sorted(out))}")
        # Free-form mappings (task -> value, category -> tasks) are replaced, not merged.
        if isinstance(out[key], dict) and isinstance(value, Mapping) and key not in _FREE_FORM:
            out[key] = _merge(out[key], value, f"{where}{key}.")
        else:
            out[key] = copy.deepcopy(value)
    return out


_FREE_FORM = {"upper_bound", "categories", "model_sizes", "per_task"}


@dataclass(frozen=True)
class PersonaRule:
    """How "consistently across models" is decided for donors, pirates, sponges, sieves.

    Every rule first requires the task to be nonzero with the persona's sign in every
    model (a 0 there means no such transfer, or none significant); ranks average ties.
    ``mean_rank``: a task gets the label if its rank, averaged over models, is among the
    best ``top_k`` of those tasks. ``top_k_all``: its rank is within ``top_k`` in every
    model. ``threshold_all``: its |value| is at least ``threshold`` in every model.
    """

    rule: Literal["mean_rank", "top_k_all", "threshold_all"] = "mean_rank"
    top_k: int = 3
    threshold: float = 0.05

    def __post_init__(self) -> None:
        if self.rule not in _PERSONA_RULES:
            raise ValueError(f"analysis settings: `personas.rule` is {self.rule!r}; expected one of: {', '.join(_PERSONA_RULES)}")
        if int(self.top_k) < 1:
            raise ValueError(f"analysis settings: `personas.top_k` must be >= 1, got {self.top_k!r}")
        if not float(self.threshold) >= 0:
            raise ValueError(f"analysis settings: `personas.threshold` must be >= 0, got {self.threshold!r}")


@dataclass(frozen=True)
class Significance:
    """Per-cell tests on per-question correctness and their multiple-comparison correction.

    ``test`` decides the ``significant`` marks used everywhere (cells, cliques, transfer
    tables, personas): ``seeds_questions`` replicates over seeds and questions (a claim
    about training); ``pooled_mcnemar`` is the old, anti-conservative pooled test.
    """

    alpha: float = 0.05
    correction: Literal["bh", "by", "none"] = "by"
    test: Literal["seeds_questions", "pooled_mcnemar"] = "seeds_questions"
    n_bootstrap: int = 1000
    confidence: float = 0.95
    seed: int = 0
    filter_cliques: bool = True

    def __post_init__(self) -> None:
        if not 0 < float(self.alpha) < 1:
            raise ValueError(f"analysis settings: `significance.alpha` must be in (0, 1), got {self.alpha!r}")
        if self.correction not in _CORRECTIONS:
            raise ValueError(
                f"analysis settings: `significance.correction` is {self.correction!r}; expected one of: {', '.join(_CORRECTIONS)}"
            )
        if self.test == "mcnemar":
            raise ValueError(
                "analysis settings: `significance.test: mcnemar` was the pooled McNemar test, which counts each question "
                "once per seed and ignores training noise (anti-conservative, docs/analysis.md); use `seeds_questions` "
                "(default), or `pooled_mcnemar` to reproduce the old marks"
            )
        if self.test not in _TESTS:
            raise ValueError(f"analysis settings: `significance.test` is {self.test!r}; expected one of: {', '.join(_TESTS)}")
        if int(self.n_bootstrap) < 10:
            raise ValueError(f"analysis settings: `significance.n_bootstrap` must be >= 10, got {self.n_bootstrap!r}")
        if not 0 < float(self.confidence) < 1:
            raise ValueError(f"analysis settings: `significance.confidence` must be in (0, 1), got {self.confidence!r}")


@dataclass(frozen=True)
class AnalysisSettings:
    """Validated analysis settings; build with :meth:`from_mapping`."""

    tasks: tuple[str, ...] = BLINK_TASKS
    upper_bound: Mapping[str, float] = field(default_factory=dict)
    upper_bound_default: float = 1.0
    eps: float = 1e-8
    ceiling: Literal["flag", "error"] = "flag"
    include_diagonal: bool = False
    logistic_n: Literal["all", "used"] = "all"
    zero_tolerance: float = 1e-12
    leave_one_seed_out: bool = True
    categories: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    personas: PersonaRule = field(default_factory=PersonaRule)
    significance: Significance = field(default_factory=Significance)
    model_sizes: Mapping[str, float] = field(default_factory=dict)
    lora_module: str = "o_proj"
    lora_layer: int | str = -1
    graph_threshold: float = 0.1
    figures: bool = True

    def upper(self, task: str) -> float:
        """U_j for ``task``: the per-task value if configured, else the default."""
        return float(self.upper_bound.get(task, self.upper_bound_default))

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None = None) -> "AnalysisSettings":
        """Merge ``mapping`` over the packaged defaults and validate every field."""
        raw = _merge(default_mapping(), mapping or {}, "")
        tasks = tuple(raw["tasks"]) if raw["tasks"] else BLINK_TASKS
        if len(set(tasks)) != len(tasks):
            raise ValueError(f"analysis settings: `tasks` has duplicates: {list(tasks)}")
        ub = raw["upper_bound"]
        if isinstance(ub, Mapping):
            ub = dict(ub)
            default = float(ub.pop("default", 1.0))
            per_task = {str(k): float(v) for k, v in ub.items()}
        else:
            default, per_task = float(ub), {}
        for name, value in [("default", default), *per_task.items()]:
            if not 0 < value <= 1:
                raise ValueError(f"analysis settings: `upper_bound.{name}` must be in (0, 1], got {value!r}")
        unknown = sorted(set(per_task) - set(tasks))
        if unknown:
            raise ValueError(f"analysis settings: `upper_bound` names unknown task(s) {unknown}; expected one of: {', '.join(tasks)}")
        if raw["ceiling"] not in _CEILING:
            raise ValueError(f"analysis settings: `ceiling` is {raw['ceiling']!r}; expected one of: {', '.join(_CEILING)}")
        if not 0 < float(raw["eps"]) < 1e-3:
            raise ValueError(f"analysis settings: `eps` must be in (0, 1e-3), got {raw['eps']!r}")
        if raw["logistic_n"] not in ("all", "used"):
            raise ValueError(f"analysis settings: `logistic_n` is {raw['logistic_n']!r}; expected one of: all, used")
        knife = raw["knife_edge"]
        if not float(knife["tolerance"]) >= 0:
            raise ValueError(f"analysis settings: `knife_edge.tolerance` must be >= 0, got {knife['tolerance']!r}")
        categories: dict[str, dict[str, tuple[str, ...]]] = {}
        for scheme, groups in (raw["categories"] or {}).items():
            seen: dict[str, str] = {}
            categories[str(scheme)] = {}
            for group, members in groups.items():
                for task in members:
                    # Tasks of the study or of BLINK: a run on a subset of tasks keeps the
                    # paper's categories; members missing from a matrix are simply not used.
                    if task not in tasks and task not in BLINK_TASKS:
                        raise ValueError(
                            f"analysis settings: `categories.{scheme}.{group}` names unknown task {task!r}; "
                            f"expected one of: {', '.join(dict.fromkeys((*tasks, *BLINK_TASKS)))}"
                        )
                    if task in seen:
                        raise ValueError(
                            f"analysis settings: task {task!r} is in both `categories.{scheme}.{seen[task]}` and `.{group}`"
                        )
                    seen[task] = group
                categories[str(scheme)][str(group)] = tuple(members)
        sizes = {str(k): float(v) for k, v in (raw["model_sizes"] or {}).items()}
        lora = raw["lora"]
        if not (lora["layer"] == "all" or (isinstance(lora["layer"], int) and not isinstance(lora["layer"], bool))):
            raise ValueError(f"analysis settings: `lora.layer` is {lora['layer']!r}; expected an integer (-1 = last) or 'all'")
        return cls(
            tasks=tasks,
            upper_bound=per_task,
            upper_bound_default=default,
            eps=float(raw["eps"]),
            ceiling=raw["ceiling"],
            include_diagonal=bool(raw["include_diagonal"]),
            logistic_n=raw["logistic_n"],
            zero_tolerance=float(knife["tolerance"]),
            leave_one_seed_out=bool(knife["leave_one_seed_out"]),
            categories=categories,
            personas=PersonaRule(**raw["personas"]),
            significance=Significance(**raw["significance"]),
            model_sizes=sizes,
            lora_module=str(lora["module"]),
            lora_layer=lora["layer"],
            graph_threshold=float(raw["graph_threshold"]),
            figures=bool(raw["figures"]),
        )
