"""The GPU jobs a config asks for, with the work each one does (samples, questions).

Mirrors the workflow's GPU rules (train_lora; eval_base + eval_checkpoint, or
eval_model_shared with ``evaluation.mode: shared``; eval_parity with
``evaluation.parity``) from the config alone, so planning needs neither data nor
Snakemake; tests/planning checks the counts against a Snakemake dry run.

Each job names the throughput figure its work is divided by (:attr:`PlannedJob.rate`):
training samples, letter-scored questions, or generated questions
(``evaluation.scoring: generate``; the parity job, whose letter-scoring half is the
cheaper one and is not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..config.resolve import eval_tasks, parity_enabled
from ..tasks import TASKS


TRAIN_RATE = "train_samples_per_gpu_hour"
LETTER_RATE = "eval_questions_per_gpu_hour"
GENERATE_RATE = "generate_questions_per_gpu_hour"
# Throughput figure per rule when the job does not name one.
RULE_RATES = {
    "train_lora": TRAIN_RATE,
    "eval_checkpoint": LETTER_RATE,
    "eval_base": LETTER_RATE,
    "eval_model_shared": LETTER_RATE,
    "eval_parity": GENERATE_RATE,
}


@dataclass(frozen=True)
class PlannedJob:
    rule: str
    model: str
    task: str | None  # training task; None for the base model
    seed: int | None
    gpus: int
    work: float  # training samples seen, or questions scored
    rate: str = ""  # throughput figure of this work; default by rule (RULE_RATES)

    def __post_init__(self) -> None:
        if not self.rate:
            object.__setattr__(self, "rate", RULE_RATES[self.rule])

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
    evaluation = config.get("evaluation") or {}
    shared = evaluation.get("mode", "per_checkpoint") == "shared"
    rate = GENERATE_RATE if evaluation.get("scoring", "letter") == "generate" else LETTER_RATE
    adapters = len(config["tasks"]) * len(config["seeds"])
    jobs: list[PlannedJob] = []
    for model, m in config["models"].items():
        train_gpus, eval_gpus = m.get("train_gpus", 0), m.get("eval_gpus", 0)
        if shared:  # base + every adapter of the model in one job
            jobs.append(PlannedJob("eval_model_shared", model, None, None, eval_gpus, questions * (1 + adapters), rate))
        else:
            jobs.append(PlannedJob("eval_base", model, None, None, eval_gpus, questions, rate))
        if parity_enabled(config):
            jobs.append(PlannedJob("eval_parity", model, None, None, eval_gpus, questions))
        for task in config["tasks"]:
            samples = training_samples(config, task)
            for seed in config["seeds"]:
                jobs.append(PlannedJob("train_lora", model, task, seed, train_gpus, samples))
                if not shared:
                    jobs.append(PlannedJob("eval_checkpoint", model, task, seed, eval_gpus, questions, rate))
    return jobs
