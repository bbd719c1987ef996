"""GPU-hour estimates per job: measured where an earlier run measured, else throughput.

Order of preference for each job:
1. ``benchmark``: the same job's benchmark file from an earlier run (its wall seconds);
2. ``learned``: the throughput of the same rule and model measured over earlier runs'
   benchmark files (work per GPU-hour), applied to this job's work;
3. ``throughput``: the figure in the throughput file (profiles/slurm/throughput.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from ..provenance.jobs import read_benchmark
from .jobs import GENERATE_RATE, LETTER_RATE, TRAIN_RATE, PlannedJob

# Figures every model of a throughput file has; the generation figure is needed only by
# configs with generation jobs (evaluation.scoring: generate, evaluation.parity).
REQUIRED_KEYS = (TRAIN_RATE, LETTER_RATE)
OPTIONAL_KEYS = (GENERATE_RATE,)


@dataclass(frozen=True)
class Estimate:
    job: PlannedJob
    hours: float  # wall-clock hours of the job
    gpu_hours: float
    source: str  # benchmark | learned | throughput


def load_throughput(path: str | Path) -> dict[str, dict[str, float]]:
    """``{model: {train_samples_per_gpu_hour, eval_questions_per_gpu_hour[, generate_questions_per_gpu_hour]}}``."""
    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    models = data.get("models")
    if not isinstance(models, dict):
        raise ValueError(f"{path}: expected a `models:` mapping of model name -> figures")
    for name, figures in models.items():
        for key in REQUIRED_KEYS + tuple(k for k in OPTIONAL_KEYS if k in (figures or {})):
            value = (figures or {}).get(key)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{path}: models.{name}.{key} must be a positive number, got {value!r}")
    return models


def measured_seconds(jobs: Iterable[PlannedJob], benchmark_roots: Iterable[str | Path]) -> dict[PlannedJob, float]:
    """Wall seconds of each job found under any benchmark root (the last root wins).

    A root is a run's working directory or its ``results/benchmarks`` folder.
    """
    found: dict[PlannedJob, float] = {}
    for root in map(Path, benchmark_roots):
        base = root.parent.parent if root.name == "benchmarks" and root.parent.name == "results" else root
        for job in jobs:
            path = base / job.benchmark
            if path.is_file():
                found[job] = read_benchmark(path)["s"]
    return found


def estimate(
    jobs: list[PlannedJob],
    throughput: Mapping[str, Mapping[str, float]] | None = None,
    measured: Mapping[PlannedJob, float] | None = None,
) -> list[Estimate]:
    """One :class:`Estimate` per job; raises naming the models (and figures) that are missing."""
    throughput, measured = throughput or {}, measured or {}
    # Learned throughput per (rule, model, figure): total work / total GPU-hours measured
    # (the figure keeps letter-scored and generated evaluations of one rule apart).
    totals: dict[tuple[str, str, str], list[float]] = {}
    for job, seconds in measured.items():
        if job.gpus and seconds > 0:
            t = totals.setdefault((job.rule, job.model, job.rate), [0.0, 0.0])
            t[0] += job.work
            t[1] += seconds * job.gpus / 3600
    out, missing, missing_figures = [], set(), set()
    for job in jobs:
        if job in measured:
            hours = measured[job] / 3600
            out.append(Estimate(job, hours, hours * job.gpus, "benchmark"))
            continue
        if (job.rule, job.model, job.rate) in totals:
            work, gpu_h = totals[(job.rule, job.model, job.rate)]
            rate, source = work / gpu_h, "learned"
        elif job.model in throughput and job.rate in throughput[job.model]:
            rate, source = throughput[job.model][job.rate], "throughput"
        elif job.model in throughput:
            missing_figures.add((job.model, job.rate))
            continue
        else:
            missing.add(job.model)
            continue
        gpu_hours = job.work / rate
        out.append(Estimate(job, gpu_hours / max(job.gpus, 1), gpu_hours, source))
    if missing:
        raise ValueError(
            f"no throughput figures for model(s) {sorted(missing)}: add them to the throughput "
            "file or point --benchmarks at an earlier run of these models"
        )
    if missing_figures:
        figures = ", ".join(f"models.{m}.{k}" for m, k in sorted(missing_figures))
        raise ValueError(
            f"the throughput file lacks {figures} (generation jobs: evaluation.scoring: generate or "
            "evaluation.parity); add it or point --benchmarks at an earlier run that measured them"
        )
    return out


def summarize(estimates: Iterable[Estimate]) -> list[dict[str, Any]]:
    """Per (rule, model): jobs, GPUs per job, hours per job, total GPU-hours, sources."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for e in estimates:
        row = rows.setdefault(
            (e.job.rule, e.job.model),
            {"rule": e.job.rule, "model": e.job.model, "jobs": 0, "gpus_per_job": e.job.gpus,
             "wall_hours": 0.0, "gpu_hours": 0.0, "sources": set()},
        )
        row["jobs"] += 1
        row["wall_hours"] += e.hours
        row["gpu_hours"] += e.gpu_hours
        row["sources"].add(e.source)
    order = {"train_lora": 0, "eval_base": 1, "eval_checkpoint": 2, "eval_model_shared": 3, "eval_parity": 4}
    return [
        {**r, "sources": ",".join(sorted(r["sources"])), "wall_hours": round(r["wall_hours"], 2),
         "gpu_hours": round(r["gpu_hours"], 2)}
        for r in sorted(rows.values(), key=lambda r: order.get(r["rule"], 9))  # stable: config order
    ]
