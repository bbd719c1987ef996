"""``tasktransfer plan``: GPU-hours per rule and model for a config, before running it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_THROUGHPUT = Path("profiles/slurm/throughput.yaml")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plan",
        help="estimate GPU-hours per rule from throughput figures or earlier runs",
        description=(
            "Estimate the GPU jobs of a config (count, GPUs, wall and GPU-hours per rule and "
            "model) without data, GPUs or Snakemake. Jobs an earlier run measured use its "
            "benchmark files; other jobs of a measured model use the measured throughput; "
            "the rest use the throughput file."
        ),
    )
    p.add_argument("--config", default="config/config.yaml", help="study config (default: %(default)s)")
    p.add_argument(
        "--throughput", default=str(DEFAULT_THROUGHPUT),
        help="YAML of samples/questions per GPU-hour by model (default: %(default)s)",
    )
    p.add_argument(
        "--benchmarks", action="append", default=[], metavar="DIR",
        help="an earlier run's directory or its results/benchmarks (repeatable)",
    )
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(func=_plan)


def _plan(args: argparse.Namespace) -> int:
    from ..config import load_config
    from .estimate import estimate, load_throughput, measured_seconds, summarize
    from .jobs import planned_jobs

    config = load_config(args.config)
    jobs = planned_jobs(config)
    throughput = load_throughput(args.throughput) if Path(args.throughput).is_file() else {}
    if not throughput and not args.benchmarks:
        raise FileNotFoundError(f"{args.throughput}: no throughput file and no --benchmarks to learn from")
    rows = summarize(estimate(jobs, throughput, measured_seconds(jobs, args.benchmarks)))
    total = round(sum(r["gpu_hours"] for r in rows), 2)
    if args.format == "json":
        json.dump({"config": args.config, "rows": rows, "total_gpu_hours": total}, sys.stdout, indent=2)
        print()
    elif args.format == "csv":
        print(",".join(rows[0]))
        for r in rows:
            print(",".join(str(v) for v in r.values()))
    else:
        print(_table(rows, total))
    return 0


def _table(rows: list[dict], total: float) -> str:
    headers = ["rule", "model", "jobs", "gpus_per_job", "wall_hours", "gpu_hours", "sources"]
    cells = [headers] + [[str(r[h]) for h in headers] for r in rows]
    cells.append(["total", "", str(sum(r["jobs"] for r in rows)), "", "", str(total), ""])
    widths = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, lines[1])
    return "\n".join(lines)
