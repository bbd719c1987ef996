"""Per-job cost of a run: wall time from Snakemake benchmark files, GPU-hours, Slurm ids.

Snakemake's ``benchmark:`` TSV holds each job's wall seconds (column ``s``); a job's
GPU-hours are those seconds times the GPUs it held. The Slurm executor writes one log
per submission: ``<logdir>/rule_<rule>/<wildcards>/<jobid>.log`` for a job,
``<logdir>/group_<group>/<wildcards>/<jobid>.log`` for a job group (one log announcing
every job of the group) and ``<logdir>/rule_<rule>/<jobid>_<task>.log`` for a task of an
array job. Each log repeats the rule and wildcards of the jobs it ran, so job ids are
matched by content, not by parsing file names.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

_JOB_LINE = re.compile(r"^(\s*)(?:local)?(?:rule|checkpoint) ([\w-]+):\s*$")
_LOG_ID = re.compile(r"^\d+(?:_\d+)?$")  # a Slurm job id, or <array id>_<task> for an array task

WildcardKey = tuple[tuple[str, str], ...]


def slurm_id_key(job_id: str) -> tuple[int, ...]:
    """Numeric order of Slurm ids, array tasks (``123_4``) after their array's id."""
    return tuple(int(p) for p in job_id.split("_"))


@dataclass(frozen=True)
class JobSpec:
    """One job of the workflow as the manifest rule knows it."""

    rule: str
    wildcards: tuple[tuple[str, str], ...]
    benchmark: str
    gpus: int = 0

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "JobSpec":
        wc = tuple(sorted((str(k), str(v)) for k, v in (d.get("wildcards") or {}).items()))
        return cls(rule=d["rule"], wildcards=wc, benchmark=d["benchmark"], gpus=int(d.get("gpus", 0)))


def read_benchmark(path: str | Path) -> dict[str, float]:
    """The last row of a Snakemake benchmark TSV (seconds ``s``, ``max_rss`` MB, ...).

    With ``benchmark: repeat(...)`` there are several rows; the last is the latest run.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "s" not in rows[-1]:
        raise ValueError(f"{path}: not a Snakemake benchmark file (expected a header with column `s`)")
    out = {}
    for key, value in rows[-1].items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            continue  # h:m:s and NA columns
    return out


@dataclass(frozen=True)
class LoggedJob:
    """A job as a Snakemake log announces it: rule, wildcards and benchmark file (if any)."""

    rule: str
    wildcards: WildcardKey = ()
    benchmark: str = ""


def logged_jobs(lines: Iterable[str]) -> list[LoggedJob]:
    """Every job block (``rule X:`` and its indented details) in a Snakemake log, in order.

    A Snakemake log announces each job it runs this way, so a group job's log lists all
    of its jobs; a job without a ``wildcards:`` detail has none.
    """
    lines = [line.rstrip("\n") for line in lines]
    jobs: dict[LoggedJob, None] = {}
    for i, line in enumerate(lines):
        if not (m := _JOB_LINE.match(line)):
            continue
        wildcards: WildcardKey = ()
        benchmark = ""
        for detail in itertools.islice(lines, i + 1, None):
            if not detail.startswith(m[1] + " "):
                break  # the end of this job's block
            key, _, value = detail.strip().partition(": ")
            if key == "wildcards":
                pairs = (p.split("=", 1) for p in value.split(", ") if "=" in p)
                wildcards = tuple(sorted((k, v) for k, v in pairs))
            elif key == "benchmark":
                benchmark = os.path.normpath(value)
        jobs.setdefault(LoggedJob(m[2], wildcards, benchmark), None)
    return list(jobs)


@dataclass
class SlurmIds:
    """Slurm job ids (oldest first) by ``(rule, wildcards)`` and by benchmark file."""

    by_job: dict[tuple[str, WildcardKey], list[str]] = field(default_factory=dict)
    by_benchmark: dict[str, list[str]] = field(default_factory=dict)

    def of(self, spec: "JobSpec") -> list[str]:
        """A job's ids; jobs found from their benchmark files alone are matched by that path."""
        return self.by_job.get((spec.rule, spec.wildcards)) or self.by_benchmark.get(
            os.path.normpath(spec.benchmark), [])


def read_slurm_logs(logdir: str | Path) -> SlurmIds:
    """Index the Slurm executor's logs (single jobs, job groups and array tasks)."""
    found = SlurmIds()
    root = Path(logdir)
    if not root.is_dir():
        return found
    logs = [*root.glob("rule_*/**/*.log"), *root.glob("group_*/**/*.log")]
    for log in logs:
        if not _LOG_ID.match(log.stem):
            continue
        with open(log, encoding="utf-8", errors="replace") as fh:
            jobs = logged_jobs(fh)
        if not jobs:  # the job died before Snakemake started; fall back to the path
            jobs = [LoggedJob(log.relative_to(root).parts[0].removeprefix("rule_"))]
        for job in jobs:
            found.by_job.setdefault((job.rule, job.wildcards), []).append(log.stem)
            if job.benchmark:
                found.by_benchmark.setdefault(job.benchmark, []).append(log.stem)
    for table in (found.by_job, found.by_benchmark):
        for ids in table.values():
            ids.sort(key=slurm_id_key)
    return found


def slurm_job_ids(logdir: str | Path) -> dict[tuple[str, WildcardKey], list[str]]:
    """``{(rule, wildcards): [job ids, oldest first]}`` from the Slurm executor's logs."""
    return read_slurm_logs(logdir).by_job


def discover_benchmarks(
    root: str | Path, known: Iterable[str] = (), gpus: Mapping[str, Mapping[str, int]] | None = None
) -> list[JobSpec]:
    """Benchmark files under ``root`` (``<root>/<rule>/...tsv``) not among ``known``.

    Catches jobs of rules the manifest rule does not enumerate (e.g. raw-data builders,
    extension studies): their rule is the first folder and the rest of the path stands for
    the wildcards. ``gpus[rule][model]`` gives the GPUs of such a job whose path starts with
    its model (the extension studies' training and evaluation), so GPU-hours count them.
    """
    gpus = gpus or {}
    root, known = Path(root), {str(Path(k)) for k in known}
    found = []
    for path in sorted(root.rglob("*.tsv")) if root.is_dir() else []:
        rel = path.relative_to(root)
        if str(path) in known:
            continue
        job = str(rel.with_suffix("")) if len(rel.parts) > 1 else ""
        rule = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        wildcards = (("job", "/".join(Path(job).parts[1:])),) if len(rel.parts) > 1 else ()
        n_gpus = gpus.get(rule, {}).get(rel.parts[1], 0) if len(rel.parts) > 2 else 0
        found.append(JobSpec(rule=rule, wildcards=wildcards, benchmark=str(path), gpus=n_gpus))
    return found


def job_records(
    jobs: Iterable[JobSpec | Mapping[str, Any]], slurm_logdir: str | Path | None = None
) -> list[dict[str, Any]]:
    """Runtime, GPU-hours and Slurm job ids per job; jobs without a benchmark file are
    listed with ``seconds: None`` (not run, or run by an older workflow)."""
    ids = read_slurm_logs(slurm_logdir) if slurm_logdir else SlurmIds()
    records = []
    for spec in jobs:
        spec = spec if isinstance(spec, JobSpec) else JobSpec.from_dict(spec)
        bench = Path(spec.benchmark)
        seconds = read_benchmark(bench)["s"] if bench.is_file() else None
        records.append(
            {
                "rule": spec.rule,
                "wildcards": dict(spec.wildcards),
                "benchmark": spec.benchmark,
                "gpus": spec.gpus,
                "seconds": seconds,
                "gpu_hours": None if seconds is None else round(seconds * spec.gpus / 3600, 6),
                "slurm_job_ids": ids.of(spec),
            }
        )
    return records


def summarize(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per rule: jobs, jobs with timings, total wall hours and GPU-hours."""
    by_rule: dict[str, dict[str, Any]] = {}
    for r in records:
        row = by_rule.setdefault(r["rule"], {"rule": r["rule"], "jobs": 0, "timed": 0, "hours": 0.0, "gpu_hours": 0.0})
        row["jobs"] += 1
        if r["seconds"] is not None:
            row["timed"] += 1
            row["hours"] += r["seconds"] / 3600
            row["gpu_hours"] += r["gpu_hours"]
    return [
        {**row, "hours": round(row["hours"], 4), "gpu_hours": round(row["gpu_hours"], 4)}
        for row in sorted(by_rule.values(), key=lambda row: row["rule"])
    ]
