"""The run manifest: everything needed to tell how a set of results was produced.

One JSON document (saved next to the results and rendered into the Snakemake report):
code (git commit, dirty state), configuration and its hash, package versions, hardware,
every job's runtime, GPU-hours and Slurm job ids, checksums of the raw inputs and of
every split (and of the trained adapters), and the seeds.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

from .checksums import ChecksumCache, checksum_files, config_hash
from .environment import hardware, package_versions
from .git import git_state
from .html_table import page, table
from .jobs import JobSpec, job_records, slurm_id_key, summarize

SCHEMA_VERSION = 1


def seeds_of(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every seed in a config: training seeds, the data builders' seed, model seeds."""
    return {
        "training": list(config.get("seeds") or []),
        "data": (config.get("data") or {}).get("seed"),
        "models": {
            name: m["tiny_seed"] for name, m in (config.get("models") or {}).items() if "tiny_seed" in m
        },
    }


def build_manifest(
    config: Mapping[str, Any],
    *,
    repo_root: str | Path,
    jobs: Iterable[JobSpec | Mapping[str, Any]] = (),
    splits: Iterable[str | Path] = (),
    raw_inputs: Iterable[str | Path] = (),
    checkpoints: Iterable[str | Path] = (),
    slurm_logdir: str | Path | None = None,
    checksum_cache: str | Path | None = None,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """Collect the manifest. Paths are reported relative to ``repo_root`` where possible."""
    cache = ChecksumCache(checksum_cache)
    records = job_records(jobs, slurm_logdir)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "created": (now or _dt.datetime.now(_dt.timezone.utc)).isoformat(timespec="seconds"),
        "git": git_state(repo_root),
        "config_sha256": config_hash(dict(config)),
        "config": config,
        "seeds": seeds_of(config),
        "packages": package_versions(),
        "hardware": hardware(),
        "jobs": records,
        "cost_by_rule": summarize(records),
        "slurm_job_ids": sorted({i for r in records for i in r["slurm_job_ids"]}, key=slurm_id_key),
        "splits": checksum_files(splits, relative_to=repo_root, cache=cache),
        "raw_inputs": checksum_files(raw_inputs, relative_to=repo_root, cache=cache),
        "checkpoints": checksum_files(checkpoints, relative_to=repo_root, cache=cache),
    }
    cache.save()
    return manifest


def _tree_state(git: Mapping[str, Any]) -> str:
    if git["dirty"] is None:
        return "unknown"
    return "uncommitted edits: " + ", ".join(git["dirty_files"]) if git["dirty"] else "clean"


def render_html(manifest: Mapping[str, Any]) -> str:
    """A self-contained HTML page of the manifest (for the report; the JSON is canonical)."""
    git, hw = manifest["git"], manifest["hardware"]
    gpus = ", ".join(f"{g['name']} ({g['memory']})" for g in hw["gpus"]) or "none"
    summary = [
        ("git commit", git["commit"] or "unknown: not run from a git checkout"),
        ("working tree", _tree_state(git)),
        ("config sha256", manifest["config_sha256"]),
        ("training seeds", ", ".join(map(str, manifest["seeds"]["training"]))),
        ("data seed", manifest["seeds"]["data"]),
        ("created", manifest["created"]),
        ("host", f"{hw['hostname']}: {hw['cpu_count']} x {hw['cpu_model']}, {hw['memory_gib']} GiB"),
        ("GPUs", f"{hw['gpu_count']}: {gpus}; driver {hw['gpu_driver'] or '-'}"),
        ("Slurm jobs", len(manifest["slurm_job_ids"])),
    ]
    jobs = [
        (r["rule"], ", ".join(f"{k}={v}" for k, v in r["wildcards"].items()), r["gpus"],
         None if r["seconds"] is None else f"{r['seconds']:.1f}", r["gpu_hours"],
         " ".join(r["slurm_job_ids"]))
        for r in manifest["jobs"]
    ]
    checksummed = {**manifest["raw_inputs"], **manifest["splits"], **manifest["checkpoints"]}
    files = [(k, v["sha256"], v["bytes"]) for k, v in checksummed.items()]
    sections = [
        "<h2>Run</h2>" + table(["", ""], summary),
        "<h2>Cost by rule</h2>"
        + table(["rule", "jobs", "timed", "hours", "GPU-hours"],
                [(r["rule"], r["jobs"], r["timed"], r["hours"], r["gpu_hours"]) for r in manifest["cost_by_rule"]]),
        "<h2>Packages</h2>" + table(["package", "version"], manifest["packages"].items()),
        "<h2>Jobs</h2>" + table(["rule", "wildcards", "GPUs", "seconds", "GPU-hours", "Slurm job ids"], jobs),
        "<h2>Raw inputs, splits and adapters (sha256)</h2>" + table(["file", "sha256", "bytes"], files),
        "<h2>Configuration</h2><pre>" + html.escape(json.dumps(manifest["config"], indent=2, sort_keys=True)) + "</pre>",
    ]
    return page("Run manifest", "".join(sections))
