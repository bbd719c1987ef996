"""Resolve per-job settings from a validated config.

The workflow passes these dicts as rule ``params``: Snakemake reruns a job when its params
change, so each job's params hold exactly the settings that affect its outputs (one task's
lr change retrains only that task) plus the stage's code version (docs/reruns.md).
"""

from __future__ import annotations

from typing import Any, Mapping

from ..tasks import TASKS
from ..versions import STAGE_VERSIONS


def model_path(config: dict[str, Any], model: str) -> str:
    return config["models"][model]["path"]


def eval_tasks(config: dict[str, Any]) -> list[str]:
    return list((config.get("evaluation") or {}).get("tasks") or config["tasks"])


def train_params(config: dict[str, Any], model: str, task: str) -> dict[str, Any]:
    """Everything that determines one adapter, besides the data and the seed."""
    training = config.get("training") or {}
    t = config["tasks"][task]
    m = config["models"][model]
    lora = {"r": 8, "alpha": 16, "dropout": 0.05,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}
    lora.update(training.get("lora") or {})
    lora.update(t.get("lora") or {})
    return {
        "lr": t["lr"],
        "epochs": t.get("epochs"),
        "max_steps": t.get("max_steps"),
        "max_examples": t.get("examples"),
        "global_batch": training.get("global_batch", 16),
        "per_device_batch": m.get("per_device_batch", training.get("per_device_batch", 4)),
        "weight_decay": training.get("weight_decay", 0.0),
        "warmup_ratio": training.get("warmup_ratio", 0.03),
        "scheduler": training.get("scheduler", "cosine"),
        "logging_steps": training.get("logging_steps", 10),
        "lora": lora,
        "deepspeed": m.get("deepspeed", "none"),
        "quantization": training.get("quantization", "none"),
        "code_version": STAGE_VERSIONS["train"],
    }


# Settings that change how a job runs, not what it produces: read by the job from the
# config, never part of params, so changing them reruns nothing. `packing` keeps the same
# examples and objective; only floating-point summation order differs (docs/training.md).
OPERATIONAL_TRAINING_KEYS = (
    "gradient_checkpointing", "checkpoint_steps", "checkpoint_minutes", "packing", "attention",
)


def train_runtime_options(config: dict[str, Any]) -> dict[str, Any]:
    training = config.get("training") or {}
    return {k: training[k] for k in OPERATIONAL_TRAINING_KEYS if k in training}


def eval_params(config: dict[str, Any], model: str) -> dict[str, Any]:
    """Settings of every evaluation job of ``model`` (base, adapters, extension mixtures).

    Letter scoring keeps exactly the keys it always had, so its jobs do not rerun and
    ``parser``/``max_new_tokens`` (unused there) change nothing; generation mode adds
    ``scoring``, ``parser`` and ``max_new_tokens``, so switching scoring or changing either
    reruns the evaluations and what follows.
    """
    from ..evaluate.generate import DEFAULT_PARSER, LMMS_EVAL_MAX_NEW_TOKENS

    ev = config.get("evaluation") or {}
    params = {"batch_size": ev.get("batch_size", 8), "dtype": config["models"][model].get("dtype", "bfloat16"),
              "code_version": STAGE_VERSIONS["eval"]}
    if ev.get("scoring", "letter") == "generate":
        params.update(scoring="generate", parser=ev.get("parser", DEFAULT_PARSER),
                      max_new_tokens=ev.get("max_new_tokens", LMMS_EVAL_MAX_NEW_TOKENS))
    return params


def parity_enabled(config: Mapping[str, Any]) -> bool:
    """``evaluation.parity``: the base models scored both ways (off unless the config says so)."""
    return bool((config.get("evaluation") or {}).get("parity", False))


def parity_params(config: dict[str, Any], model: str) -> dict[str, Any]:
    """Settings of one model's parity job: both scorings, every parser, whatever ``evaluation.scoring`` is."""
    from ..evaluate.generate import LMMS_EVAL_MAX_NEW_TOKENS

    ev = config.get("evaluation") or {}
    return {"batch_size": ev.get("batch_size", 8), "dtype": config["models"][model].get("dtype", "bfloat16"),
            "max_new_tokens": ev.get("max_new_tokens", LMMS_EVAL_MAX_NEW_TOKENS),
            "code_version": STAGE_VERSIONS["eval"]}


def generated_task_spec(config: dict[str, Any], task: str) -> dict[str, Any]:
    """Definition of a generated (synthetic) task; BLINK tasks default to BLINK's shape."""
    data = config["data"]
    gen = data.get("generated") or {}
    spec = dict((gen.get("tasks") or {}).get(task) or {})
    if not spec:
        if task not in TASKS:
            raise KeyError(f"task {task!r} is neither a BLINK task nor defined in data.generated.tasks")
        spec = {"options": TASKS[task].n_options, "images": TASKS[task].n_images}
    spec.setdefault("images", 1)
    return {
        **spec,
        "train_examples": gen.get("train_examples", 48),
        "eval_examples": gen.get("eval_examples", 40),
        "seed": data.get("seed", 0),
        "code_version": STAGE_VERSIONS["data"],
    }
