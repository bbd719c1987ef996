"""Per-job cost of a run: wall time from Snakemake benchmark files, GPU-hours, Slurm ids.

Snakemake's ``benchmark:`` TSV holds each job's wall seconds (column ``s``); a job's
GPU-hours are those seconds times the GPUs it held. The Slurm executor writes one log
per submission (``<logdir>/rule_<rule>/<wildcards>/<jobid>.log``) whose header repeats
the rule and wildcards, so job ids are matched by content, not by parsing file names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

_RULE = re.compile(r"^(?:local)?rule (\S+):\s*$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


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


def slurm_job_ids(logdir: str | Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[str]]:
    """``{(rule, wildcards): [job ids, oldest first]}`` from the Slurm executor's logs."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
    root = Path(logdir)
    if not root.is_dir():
        return found
    for log in root.glob("rule_*/**/*.log"):
        if not log.stem.isdigit():
            continue
        rule, wildcards = None, ()
        with open(log, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if rule is None and (m := _RULE.match(line)):
                    rule = m[1]
                elif rule is not None and (m := _WILDCARDS.match(line)):
                    pairs = (p.split("=", 1) for p in m[1].split(", ") if "=" in p)
                    wildcards = tuple(sorted((k, v) for k, v in pairs))
                    break
                elif rule is not None and line.startswith("Shell command"):
                    break
        if rule is None:  # the job died before Snakemake started; fall back to the path
            rule = log.relative_to(root).parts[0].removeprefix("rule_")
        found.setdefault((rule, wildcards), []).append(log.stem)
    for ids in found.values():
        ids.sort(key=int)
    return found


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
    ids = slurm_job_ids(slurm_logdir) if slurm_logdir else {}
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
                "slurm_job_ids": ids.get((spec.rule, spec.wildcards), []),
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
