"""Core subcommands: config checking, the tiny model, one training run, one evaluation."""

from __future__ import annotations

import argparse
import json


def _config_check(args: argparse.Namespace) -> int:
    from .config import load_config

    cfg = load_config(args.config)
    print(f"{args.config}: valid ({len(cfg['models'])} models, {len(cfg['tasks'])} tasks, {len(cfg['seeds'])} seeds)")
    return 0


def _build_tiny(args: argparse.Namespace) -> int:
    from .model.tiny import build_tiny_model, tree_digest

    out = build_tiny_model(args.out, seed=args.seed)
    print(f"{out} sha256={tree_digest(out)}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from .config import load_config
    from .config.resolve import train_params, train_runtime_options
    from .train.trainer import settings_from_params, train_lora

    cfg = load_config(args.config)
    settings = settings_from_params({**train_params(cfg, args.model_name, args.task), **train_runtime_options(cfg)})
    metrics = train_lora(args.base_model, args.split, args.out, settings, seed=args.seed)
    print(json.dumps({k: metrics[k] for k in ("train_loss", "global_steps", "examples", "seconds")}))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .evaluate.run import evaluate_checkpoint

    splits = {Path(p).stem: p for p in args.splits}
    evaluate_checkpoint(args.base_model, splits, args.predictions, args.accuracy, model_name=args.model_name,
                        source=args.source, seed=args.seed, adapter=args.adapter, batch_size=args.batch_size)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    register_versions(sub)
    p = sub.add_parser("config", help="check a study config against the schema")
    p.add_argument("config")
    p.set_defaults(func=_config_check)

    p = sub.add_parser("build-tiny-model", help="build the tiny random Qwen2.5-VL offline")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_build_tiny)

    p = sub.add_parser("train", help="train one LoRA adapter with a config's settings for (model, task)")
    p.add_argument("--config", required=True)
    p.add_argument("--model-name", required=True, help="model key in the config")
    p.add_argument("--task", required=True)
    p.add_argument("--base-model", required=True, help="directory of the base model")
    p.add_argument("--split", required=True, help="canonical training split (Parquet)")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="score a base model (and adapter) on eval splits")
    p.add_argument("--base-model", required=True)
    p.add_argument("--adapter")
    p.add_argument("--splits", nargs="+", required=True, help="eval splits; task name = file stem")
    p.add_argument("--predictions", required=True)
    p.add_argument("--accuracy", required=True)
    p.add_argument("--model-name", default="model")
    p.add_argument("--source", default="base")
    p.add_argument("--seed", default="")
    p.add_argument("--batch-size", type=int, default=8)
    p.set_defaults(func=_evaluate)


def _versions(args: argparse.Namespace) -> int:
    from .versions import STAGE_VERSIONS, unpinned_changes, write_pins

    if args.pin:
        for stage, pin in write_pins().items():
            print(f"{stage}: version {pin['version']} digest {pin['digest'][:12]}")
        return 0
    problems = unpinned_changes()
    for stage, version in STAGE_VERSIONS.items():
        print(f"{stage}: version {version}")
    for p in problems:
        print(p)
    return 1 if problems else 0


def register_versions(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("versions", help="stage code versions (rerun policy); --pin after deciding on a bump")
    p.add_argument("--pin", action="store_true", help="record the current source digests of every stage")
    p.set_defaults(func=_versions)
