"""The GPU jobs a config asks for, with the work each one does (samples, questions).

Mirrors the workflow's GPU rules (train_lora; eval_base + eval_checkpoint, or
eval_model_shared with ``evaluation.mode: shared``) from the config
alone, so planning needs neither data nor Snakemake; tests/planning checks the counts
against a Snakemake dry run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..config.resolve import eval_tasks
from ..tasks import TASKS


@dataclass(frozen=True)
class PlannedJob:
    rule: str
    model: str
    task: str | None  # training task; None for the base model
    seed: int | None
    gpus: int
    work: float  # training samples seen, or questions scored

    @property
    def benchmark(self) -> str:
        """The job's benchmark file, relative to the working directory (as in the rules)."""
        if self.task is None:  # one job per model
            return f"results/benchmarks/{self.rule}/{self.model}.tsv"
        return f"results/benchmarks/{self.rule}/{self.model}/{self.task}/seed{self.seed}.tsv"


def training_samples(config: Mapping[str, Any], task: str) -> float:
    """Samples one training job processes: examples x epochs, or max_steps x global batch."""
    t = config["tasks"][task]
    if t.get("max_steps") is not None:
        return float(t["max_steps"] * (config.get("training") or {}).get("global_batch", 16))
    data = config["data"]
    if data.get("mode") == "generated":
        examples = (data.get("generated") or {}).get("train_examples", 48)
    else:
        examples = t.get("examples")
    if examples is None:
        raise ValueError(
            f"tasks.{task}: set `examples` (training split size) or `max_steps` to plan its training"
        )
    return float(examples * t["epochs"])


def eval_questions(config: Mapping[str, Any]) -> float:
    """Questions one evaluation job scores: every evaluation task's split."""
    data = config["data"]
    total = 0
    for task in eval_tasks(config):
        if data.get("mode") == "generated":
            total += (data.get("generated") or {}).get("eval_examples", 40)
        elif task in TASKS:
            total += TASKS[task].val_size
        else:
            raise ValueError(f"evaluation task {task!r}: not a BLINK task, its split size is unknown")
    return float(total)


def planned_jobs(config: Mapping[str, Any]) -> list[PlannedJob]:
    """Every GPU job of the config, in rule order."""
    questions = eval_questions(config)
    shared = (config.get("evaluation") or {}).get("mode", "per_checkpoint") == "shared"
    adapters = len(config["tasks"]) * len(config["seeds"])
    jobs: list[PlannedJob] = []
    for model, m in config["models"].items():
        train_gpus, eval_gpus = m.get("train_gpus", 0), m.get("eval_gpus", 0)
        if shared:  # base + every adapter of the model in one job
            jobs.append(PlannedJob("eval_model_shared", model, None, None, eval_gpus, questions * (1 + adapters)))
        else:
            jobs.append(PlannedJob("eval_base", model, None, None, eval_gpus, questions))
        for task in config["tasks"]:
            samples = training_samples(config, task)
            for seed in config["seeds"]:
                jobs.append(PlannedJob("train_lora", model, task, seed, train_gpus, samples))
                if not shared:
                    jobs.append(PlannedJob("eval_checkpoint", model, task, seed, eval_gpus, questions))
    return jobs
