"""What the run-manifest rule needs from a config: its jobs, splits, adapters, raw inputs.

Paths follow the workflow's results layout (Snakefile header); kept here rather than in
the rules so that the rule file stays declarative and this stays testable.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from ..config.resolve import eval_tasks, parity_enabled


def manifest_jobs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every GPU job with its benchmark file and the GPUs it holds (from the config).

    Follows ``evaluation.mode``: per_checkpoint (eval_base + one eval_checkpoint per
    adapter) or shared (one eval_model_shared job per model); ``evaluation.parity`` adds
    one eval_parity job per model.
    """
    shared = (config.get("evaluation") or {}).get("mode", "per_checkpoint") == "shared"
    jobs = []
    for model, m in config["models"].items():
        train_gpus, eval_gpus = m.get("train_gpus", 0), m.get("eval_gpus", 0)
        eval_rule = "eval_model_shared" if shared else "eval_base"  # one job per model
        for rule in (eval_rule, "eval_parity") if parity_enabled(config) else (eval_rule,):
            jobs.append({"rule": rule, "wildcards": {"model": model},
                         "benchmark": f"results/benchmarks/{rule}/{model}.tsv", "gpus": eval_gpus})
        per_seed = (("train_lora", train_gpus),) + (() if shared else (("eval_checkpoint", eval_gpus),))
        for task in config["tasks"]:
            for seed in config["seeds"]:
                for rule, gpus in per_seed:
                    jobs.append({
                        "rule": rule,
                        "wildcards": {"model": model, "task": task, "seed": str(seed)},
                        "benchmark": f"results/benchmarks/{rule}/{model}/{task}/seed{seed}.tsv",
                        "gpus": gpus,
                    })
    return jobs


def extension_gpus(config: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """GPUs per model of the extension studies' jobs (their benchmarks are discovered)."""
    models = config["models"]
    return {
        "ext_train_mixture": {m: int(v.get("train_gpus", 0)) for m, v in models.items()},
        "ext_eval_mixture": {m: int(v.get("eval_gpus", 0)) for m, v in models.items()},
    }


def manifest_benchmarks(config: Mapping[str, Any]) -> list[str]:
    return [job["benchmark"] for job in manifest_jobs(config)]


def manifest_splits(config: Mapping[str, Any]) -> list[str]:
    return [f"results/data/train/{t}.parquet" for t in config["tasks"]] + [
        f"results/data/eval/{t}.parquet" for t in eval_tasks(config)
    ]


def manifest_adapters(config: Mapping[str, Any]) -> list[str]:
    return [
        f"results/checkpoints/{model}/{task}/seed{seed}/adapter_model.safetensors"
        for model in config["models"]
        for task in config["tasks"]
        for seed in config["seeds"]
    ]


def raw_input_dirs(config: Mapping[str, Any]) -> list[str]:
    """Local raw datasets read by the data builders (none for generated data)."""
    data = config["data"]
    if data.get("mode") != "raw":
        return []
    # raw_root always (fixture runs create it during the run: a plan-time existence check
    # would change these params between the first and the second run); BLINK only when it
    # is a local copy rather than a hub id (a user-provided folder, present before the run).
    dirs = [data["raw_root"]] if data.get("raw_root") else []
    blink = data.get("blink")
    if blink and os.path.isdir(blink) and not data.get("fixtures"):
        dirs.append(blink)
    return dirs
