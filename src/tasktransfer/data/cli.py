"""``tasktransfer data ...``: write fixture datasets, build, merge and list training splits."""

from __future__ import annotations

import argparse
import json
import sys


def _parse_kv(items: list[str]) -> dict[str, str]:
    out = {}
    for text in items:
        if "=" not in text:
            raise ValueError(f"--param {text!r}: expected NAME=VALUE")
        k, v = text.split("=", 1)
        out[k.strip()] = v
    return out


def _cmd_fixtures(args: argparse.Namespace) -> int:
    from .fixtures import write_fixtures

    roots = write_fixtures(args.out, seed=args.seed, tasks=args.tasks)
    for task, root in sorted(roots.items()):
        print(f"{task}\t{root}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .build import Shard, build_split, load_exclude_ids
    from .near_dup import NearDupIndex, load_hashes

    near_dup = NearDupIndex(load_hashes(args.near_dup_hashes), args.near_dup_bits) if args.near_dup_hashes else None
    card = build_split(
        args.task, args.raw_root, args.out, split=args.split, seed=args.seed, limit=args.limit,
        shard=Shard.parse(args.shard), exclude_ids=load_exclude_ids(args.exclude_ids),
        max_skip_ratio=args.max_skip_ratio, params=_parse_kv(args.param),
        progress=None if args.quiet else sys.stderr, near_dup=near_dup,
    )
    d = card.to_dict()
    print(json.dumps({"out": str(args.out), "examples": d["counts"]["examples"], "skipped": d["counts"]["skipped"],
                      "filtered": d["counts"]["filtered"], "letters": d["letters"]}, sort_keys=True))
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from .build import merge_splits

    card = merge_splits(args.shards, args.out)
    print(json.dumps({"out": str(args.out), "examples": card.examples, "shards": card.shards}, sort_keys=True))
    return 0


def _cmd_hashes(args: argparse.Namespace) -> int:
    from .near_dup import write_split_hashes

    n = write_split_hashes(args.split_file, args.out)
    print(f"{n} image hashes -> {args.out}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from .render import render_split_example

    print(render_split_example(args.split_file, args.out, args.index))
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    from ..atomic import write_json
    from .download import ensure_dataset
    from .fixtures import fixture_spec, write_fixtures

    dataset = args.dataset or fixture_spec(args.task).dataset_dir
    if args.fixtures:
        if not args.task:
            raise ValueError("--fixtures needs --task (fixtures are registered per task)")
        write_fixtures(args.raw_root, seed=args.seed, tasks=[args.task])
        status = "fixtures"
    else:
        status = ensure_dataset(dataset, args.raw_root, keep_archives=args.keep_archives)
    if args.ready:
        write_json(args.ready, {"dataset": dataset, "raw_root": str(args.raw_root), "status": status})
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .fixtures import fixture_spec, fixture_tasks
    from .registry import builder_tasks, get_builder

    fixtures = set(fixture_tasks())
    for task in builder_tasks():
        b = get_builder(task)
        fx = fixture_spec(task).dataset_dir if task in fixtures else "-"
        print(f"{task}\t{b.source}\tsplits={','.join(b.splits)}\tfixture_dir={fx}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    from .build import DEFAULT_MAX_SKIP_RATIO

    data = subparsers.add_parser("data", help="build training splits from raw datasets")
    sub = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")

    fx = sub.add_parser("fixtures", help="write tiny raw datasets in their real on-disk formats")
    fx.add_argument("--out", required=True, help="directory; one sub-directory per dataset")
    fx.add_argument("--seed", type=int, default=0)
    fx.add_argument("--tasks", nargs="+", default=None, help="only these tasks' datasets (default: all)")
    fx.set_defaults(func=_cmd_fixtures)

    b = sub.add_parser("build", help="build one task's split (or one shard of it) from raw data")
    b.add_argument("--task", required=True)
    b.add_argument("--raw-root", required=True, help="the dataset's root directory, as downloaded")
    b.add_argument("--split", default="train")
    b.add_argument("--out", required=True, help="output Parquet file (a data card is written next to it)")
    b.add_argument("--limit", type=int, default=None, help="at most this many examples in total (over all shards)")
    b.add_argument("--shard", default="0/1", help="K/N: build shard K (0-based) of N")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--exclude-ids", default=None,
                   help="file of source ids to leave out (BLINK val/test images): JSON list or one per line")
    b.add_argument("--near-dup-hashes", nargs="+", default=None, metavar="PATH",
                   help="files of 'dhash:<hex>' lines (tasktransfer data hashes): drop items whose images are"
                        " near-duplicates of these (BLINK) images")
    b.add_argument("--near-dup-bits", type=int, default=6, help="max differing bits of 64 (default %(default)s)")
    b.add_argument("--max-skip-ratio", type=float, default=DEFAULT_MAX_SKIP_RATIO,
                   help="fail when more than this fraction of records is bad (default %(default)s)")
    b.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="builder parameter override")
    b.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    b.set_defaults(func=_cmd_build)

    m = sub.add_parser("merge", help="concatenate shard splits and merge their data cards")
    m.add_argument("--out", required=True)
    m.add_argument("shards", nargs="+")
    m.set_defaults(func=_cmd_merge)

    h = sub.add_parser("hashes", help="perceptual hashes of a split's images (BLINK val) for near-duplicate exclusion")
    h.add_argument("split_file")
    h.add_argument("--out", required=True)
    h.set_defaults(func=_cmd_hashes)

    r = sub.add_parser("render", help="draw one question of a split as a PNG (images + text) to check markers")
    r.add_argument("split_file")
    r.add_argument("--out", required=True)
    r.add_argument("--index", type=int, default=0)
    r.set_defaults(func=_cmd_render)

    dl = sub.add_parser("download", help="download and unpack a raw dataset (skipped when already present)")
    who = dl.add_mutually_exclusive_group(required=True)
    who.add_argument("--task", help="the task whose source dataset to get")
    who.add_argument("--dataset", help="the dataset folder name (e.g. SPair-71k)")
    dl.add_argument("--raw-root", required=True)
    dl.add_argument("--fixtures", action="store_true", help="write the small fixture dataset instead of downloading")
    dl.add_argument("--seed", type=int, default=0, help="fixture seed")
    dl.add_argument("--keep-archives", action="store_true")
    dl.add_argument("--ready", default=None, help="write a small JSON marker here when done (for the workflow)")
    dl.set_defaults(func=_cmd_download)

    ls = sub.add_parser("list", help="tasks with a builder, their source and fixture directory")
    ls.set_defaults(func=_cmd_list)
