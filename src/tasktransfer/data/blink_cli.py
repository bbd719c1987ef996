"""``tasktransfer blink ...``: BLINK val -> canonical eval splits + leakage ids; BLINK fixtures."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _cmd_load(args: argparse.Namespace) -> int:
    from ..tasks import TASKS
    from .sources.blink import write_blink

    tasks = list(TASKS) if args.task == "all" else [args.task]
    if len(tasks) > 1 and (args.out.endswith(".parquet") or (args.ids_out or "").endswith(".txt")):
        raise ValueError("--task all writes one file per task: give --out (and --ids-out) as directories")
    summary = {}
    for task in tasks:
        out = Path(args.out) / f"{task}.parquet" if len(tasks) > 1 else Path(args.out)
        ids = (Path(args.ids_out) / f"{task}.txt" if len(tasks) > 1 else Path(args.ids_out)) if args.ids_out else None
        n, source_ids = write_blink(args.root, task, out, ids, split=args.split)
        summary[task] = {"questions": n, "source_ids": len(source_ids), "out": str(out)}
    print(json.dumps(summary, sort_keys=True))
    return 0


def _cmd_fixtures(args: argparse.Namespace) -> int:
    from .fixtures.blink import write

    for task, path in write(args.out, seed=args.seed, n_per_task=args.n_per_task, tasks=args.tasks).items():
        print(f"{task}\t{path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("blink", help="BLINK evaluation splits: load into the canonical format, or write fixtures")
    sub = p.add_subparsers(dest="blink_command", required=True, metavar="SUBCOMMAND")
    ld = sub.add_parser("load", help="BLINK (hub id or local hub-layout directory) -> canonical split + source ids")
    ld.add_argument("--root", required=True, help="directory with <Task>/val-*.parquet, or a hub id (BLINK-Benchmark/BLINK)")
    ld.add_argument("--task", required=True, help="a BLINK task name, or 'all'")
    ld.add_argument("--split", default="val")
    ld.add_argument("--out", required=True, help="output Parquet (a directory with --task all)")
    ld.add_argument("--ids-out", default=None, help="file of image source ids, one per line (directory with --task all)")
    ld.set_defaults(func=_cmd_load)
    fx = sub.add_parser("fixtures", help="write a small BLINK val for all 13 tasks in the hub's Parquet layout")
    fx.add_argument("--out", required=True)
    fx.add_argument("--seed", type=int, default=0)
    fx.add_argument("--n-per-task", type=int, default=12, help="questions per task (12: letters exactly balanced for 2, 3 and 4 options)")
    fx.add_argument("--tasks", nargs="+", default=None)
    fx.set_defaults(func=_cmd_fixtures)
