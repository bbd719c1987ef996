"""``tasktransfer analyze``: the analysis from released PGF files or accuracy tables.

Two input forms, one output layout (see :mod:`tasktransfer.analysis.pipeline`)::

    tasktransfer analyze --pgf-csv 3B=a.csv 7B=b.csv 32B=c.csv --out DIR
    tasktransfer analyze --accuracies accuracies.csv [--predictions p.parquet] --out DIR

``--bundled-reference`` analyses the authors' released files shipped with the package.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _pair(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH (e.g. 32B=pgf_32B.csv), got {text!r}")
    return name, path


def _adapter_spec(text: str) -> tuple[str, str, str]:
    left, sep, path = text.partition("=")
    model, colon, task = left.partition(":")
    if not sep or not colon or not model or not task or not path:
        raise argparse.ArgumentTypeError(f"expected MODEL:TASK=ADAPTER_DIR, got {text!r}")
    return model, task, path


def _load_settings(path: str | None) -> dict:
    """Settings from a YAML file: either a study config (its ``analysis:`` key) or the mapping itself."""
    if path is None:
        return {}
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of analysis settings")
    if "analysis" in data and "models" in data:
        settings = dict(data.get("analysis") or {})
        if data.get("categories"):
            settings.setdefault("categories", data["categories"])
        return settings
    return data


def _analyze(args: argparse.Namespace) -> int:
    from tasktransfer.analysis import pipeline
    from tasktransfer.analysis.reference import bundled_reference

    settings = _load_settings(args.settings)
    if args.no_figures:
        settings["figures"] = False
    if args.accuracies:
        if args.adapters:
            adapters: dict[str, dict[str, list[str]]] = {}
            for model, task, path in args.adapters:
                adapters.setdefault(model, {}).setdefault(task, []).append(path)
        else:
            adapters = None
        text = pipeline.run(args.accuracies, args.out, settings, predictions=args.predictions, adapters=adapters)
    else:
        if args.predictions or args.adapters:
            raise ValueError("--predictions and --adapters need --accuracies (released PGF files have no per-question data)")
        pairs = dict(bundled_reference()) if args.bundled_reference else {}
        for name, path in args.pgf_csv or []:
            if name in pairs:
                raise ValueError(f"--pgf-csv: model name {name!r} given twice")
            pairs[name] = path
        text = pipeline.run_released(pairs, args.out, settings)
    print(text)
    print(f"analysis written to {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="PGF, transferability, cliques, personas, categories, statistics and figures",
        description=__doc__.splitlines()[0],
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pgf-csv", nargs="+", type=_pair, metavar="NAME=PATH",
                     help="released-format per-seed PGF CSV(s) (seed, ft_task, task, perfection_gap_factor)")
    src.add_argument("--accuracies", nargs="+", metavar="PATH",
                     help="long accuracy table(s): model, source ('base' for the untuned model), seed, target, n_correct, n_total")
    src.add_argument("--bundled-reference", action="store_true",
                     help="the authors' released 3B/7B/32B PGF files shipped with tasktransfer")
    p.add_argument("--predictions", nargs="+", metavar="PATH",
                   help="per-question correctness (model, source, seed, target, question_id, correct) for tests and CIs")
    p.add_argument("--adapters", nargs="+", type=_adapter_spec, metavar="MODEL:TASK=DIR",
                   help="peft adapter directories for LoRA similarity, one per seed (repeat MODEL:TASK in seed order)")
    p.add_argument("--settings", metavar="YAML", help="analysis settings: a study config (its analysis: key) or the mapping")
    p.add_argument("--no-figures", action="store_true", help="write the tables only")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory (replaced atomically on success)")
    p.set_defaults(func=_analyze)
