"""Config validation, wildcard constraints and every input function of the workflow."""

import os
import re

from snakemake.utils import validate

from tasktransfer.config import check_config, schema_path
from tasktransfer.config.resolve import (
    eval_params,
    eval_tasks,
    generated_task_spec,
    parity_enabled,
    parity_params,
    train_params,
)
from tasktransfer.versions import STAGE_VERSIONS

# Our own check first: its messages name the bad key and what was expected.
check_config(config)
validate(config, str(schema_path()), set_default=True)

MODELS = list(config["models"])
TASK_NAMES = list(config["tasks"])
EVAL_TASKS = eval_tasks(config)
SEEDS = [str(s) for s in config["seeds"]]
# evaluation.scoring: letter reads the encode_eval tensors; generate runs the processor
# with lmms-eval's prompt and needs none. evaluation.parity: rule eval_parity per model.
GENERATE = config["evaluation"]["scoring"] == "generate"
PARITY = parity_enabled(config)


def _alternatives(names):
    # A regex matching exactly these names; one that matches nothing when there are none.
    return "|".join(re.escape(n) for n in names) or "(?!)"


# Looked up once here: input functions run once per job (hundreds of jobs per plan), and
# a stat per call adds up.
LOCAL_MODELS = {m for m in MODELS if os.path.isdir(config["models"][m]["path"])}
TINY_MODELS = [m for m in MODELS if config["models"][m]["path"] == "tiny"]
HUB_MODELS = [m for m in MODELS if m not in TINY_MODELS and m not in LOCAL_MODELS]
# Every evaluation job reads every evaluation split: a static input list, not a function.
EVAL_SPLITS = expand("results/data/eval/{task}.parquet", task=EVAL_TASKS)
TRAIN_SPLITS = expand("results/data/train/{task}.parquet", task=TASK_NAMES)


wildcard_constraints:
    model=_alternatives(MODELS),
    task=_alternatives(sorted(set(TASK_NAMES) | set(EVAL_TASKS))),
    seed=r"\d+",


def is_local_path(model):
    """The model's config path is an existing folder (checked once, at parse time)."""
    return model in LOCAL_MODELS


def get_base_model(wildcards):
    """Directory of the base model that jobs read (offline)."""
    if is_local_path(wildcards.model):
        return config["models"][wildcards.model]["path"]
    return f"results/models/{wildcards.model}"


def get_base_model_input(wildcards):
    if is_local_path(wildcards.model):
        return []
    return f"results/models/{wildcards.model}/.complete"


def get_tiny_seed(wildcards):
    return config["models"][wildcards.model].get("tiny_seed", 0)


def get_model_dir(wildcards):
    return f"results/models/{wildcards.model}"


def get_hub_id(wildcards):
    return config["models"][wildcards.model]["path"]


def get_train_params(wildcards):
    return train_params(config, wildcards.model, wildcards.task)


def get_train_gpus(wildcards):
    return config["models"][wildcards.model].get("train_gpus", 0)


def get_eval_gpus(wildcards):
    return config["models"][wildcards.model].get("eval_gpus", 0)


def get_analysis_settings(wildcards=None):
    """Analysis settings plus what the analysis needs from the rest of the config."""
    return {
        "tasks": list(dict.fromkeys(TASK_NAMES + EVAL_TASKS)),
        **(config.get("analysis") or {}),
        "categories": config.get("categories") or {},
        "model_sizes": {
            m: s["size_b"] for m, s in config["models"].items() if "size_b" in s
        },
        "code_version": STAGE_VERSIONS["analysis"],
    }


def get_adapter_dirs(wildcards=None):
    """{model: {task: [adapter folder per seed]}} for the LoRA-similarity analysis."""
    return {
        m: {
            t: [f"results/checkpoints/{m}/{t}/seed{s}" for s in SEEDS]
            for t in TASK_NAMES
        }
        for m in MODELS
    }


def get_adapter_files(wildcards=None):
    return expand(
        "results/checkpoints/{model}/{task}/seed{seed}/adapter_model.safetensors",
        model=MODELS,
        task=TASK_NAMES,
        seed=SEEDS,
    )


def get_model_adapter_files(wildcards):
    """Every adapter file of one model (shared evaluation job)."""
    return expand(
        "results/checkpoints/{model}/{task}/seed{seed}/{name}",
        model=wildcards.model,
        task=TASK_NAMES,
        seed=SEEDS,
        name=["adapter_model.safetensors", "adapter_config.json"],
    )


def get_eval_params(wildcards):
    return eval_params(config, wildcards.model)


def get_encoded_eval_inputs(wildcards):
    """The encode_eval tensors of every evaluation task, in EVAL_TASKS order (none to generate)."""
    if GENERATE:
        return []
    return get_parity_encoded_inputs(wildcards)


def get_parity_encoded_inputs(wildcards):
    """The encode_eval tensors for letter scoring, whatever evaluation.scoring is."""
    return expand(
        "results/encoded/{model}/{task}.safetensors",
        model=wildcards.model,
        task=EVAL_TASKS,
    )


def get_parity_params(wildcards):
    return parity_params(config, wildcards.model)


def get_parity_outputs():
    """The parity tables and their report pages, one per model (evaluation.parity)."""
    if not PARITY:
        return []
    return expand(
        [
            "results/eval/{model}/parity/parity.csv",
            "results/report/parity/{model}.html",
        ],
        model=MODELS,
    )


def get_parity_report_labels(wildcards):
    return {"model": wildcards.model}


def get_generated_spec(wildcards):
    return generated_task_spec(config, wildcards.task)


def checkpoint_files(model, task, seed):
    return expand(
        "results/checkpoints/{model}/{task}/seed{seed}/{name}",
        model=model,
        task=task,
        seed=seed,
        name=["adapter_model.safetensors", "adapter_config.json", "metrics.json"],
    )


def get_accuracy_files(wildcards=None):
    base = expand("results/eval/{model}/base/accuracy.csv", model=MODELS)
    tuned = expand(
        "results/eval/{model}/{task}/seed{seed}/accuracy.csv",
        model=MODELS,
        task=TASK_NAMES,
        seed=SEEDS,
    )
    return base + tuned


def get_prediction_files(wildcards=None):
    return [
        f.replace("accuracy.csv", "predictions.parquet") for f in get_accuracy_files()
    ]


def get_final_outputs():
    """Analysis, parity tables, extension studies, the run manifest, and every adapter.

    Adapters are named explicitly: Snakemake rebuilds a deleted intermediate file only
    when something targets it, and a deleted adapter must be retrained.
    """
    # get_extension_outputs: workflow/rules/extensions_common.smk (empty when switched off)
    # data cards exist only for splits built from raw sources (data.mode: raw)
    cards = ["results/data/cards.html"] if config["data"]["mode"] == "raw" else []
    return (
        [
            "results/analysis",
            "results/report/analysis_tables",
            "results/provenance/manifest.json",
        ]
        + cards
        + get_parity_outputs()
        + get_extension_outputs()
        + get_adapter_files()
    )


def get_analysis_report_subcategory(wildcards):
    """Figures in one group, tables per model folder, cross-model tables in another."""
    name = wildcards.name
    if name.startswith("figures/"):
        return "Figures"
    if "/" in name:
        return f"Tables: {name.split('/')[0]}"
    return "Tables: across models"


def get_analysis_report_labels(wildcards):
    return {"name": wildcards.name.split("/")[-1]}
