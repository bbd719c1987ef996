# Settings and input functions of the extension studies (rules: extensions.smk).

from dataclasses import asdict

from tasktransfer.config.resolve import train_params
from tasktransfer.extensions.runs import multitask_train_params
from tasktransfer.extensions.settings import ExtensionSettings

EXT = (
    ExtensionSettings.from_config(
        config["extensions"], MODELS, TASK_NAMES, [int(s) for s in SEEDS]
    )
    if config.get("extensions") is not None
    else None
)


wildcard_constraints:
    study="selection|balance",
    run=r"[A-Za-z0-9_.\-]+__[A-Za-z0-9_.\-]+|all_mini",


def is_ext_activated(study):
    """An extension study runs when the config has an `extensions:` section enabling it."""
    return EXT is not None and getattr(EXT, study).enabled


def _ext_caps():
    return {t: config["tasks"][t].get("examples") for t in TASK_NAMES}


def _ext_seeds(study):
    return [str(s) for s in getattr(EXT, study).train_seeds]


def get_ext_target_splits(wildcards):
    return expand("results/data/train/{task}.parquet", task=EXT.selection.targets)


def get_ext_pgf_matrix(wildcards):
    return f"results/analysis/{wildcards.model}/pgf_matrix.csv"


def get_ext_targets(wildcards=None):
    return list(EXT.selection.targets)


# Each rule gets only the settings that change its outputs, so that e.g. a new bootstrap
# size redraws a figure without retraining anything (Snakemake's params rerun trigger).
_EXT_KEYS = {
    "select": ["targets", "k", "n_random", "significant_only", "alpha", "seed"],
    "prep": ["form", "mini_fraction", "seed"],
    "visatb": [
        "form",
        "mini_fraction",
        "temperature",
        "alpha_out",
        "alpha_in",
        "alpha_d",
        "strategies",
        "undefined",
        "seed",
    ],
    "selection_report": ["n_bootstrap", "seed"],
    "balance_report": ["strategies", "n_bootstrap", "seed"],
}


def _ext_params(study, step):
    settings = asdict(getattr(EXT, study))
    return {k: settings[k] for k in _EXT_KEYS[step]}


def get_ext_select_params(wildcards=None):
    return _ext_params("selection", "select")


def get_ext_prep_params(wildcards=None):
    return _ext_params("balance", "prep")


def get_ext_visatb_params(wildcards=None):
    return _ext_params("balance", "visatb")


def get_ext_selection_report_params(wildcards=None):
    return _ext_params("selection", "selection_report")


def get_ext_balance_report_params(wildcards=None):
    return _ext_params("balance", "balance_report")


def get_ext_significance(wildcards):
    if not EXT.selection.significant_only:
        return None
    return f"results/analysis/{wildcards.model}/significance.csv"


def _run_task(run):
    """The task whose training settings a run uses (None: the multi-task settings)."""
    kind, _, rest = run.partition("__")
    if run == "all_mini" or kind == "multitask":
        return None
    if kind in ("mini", "plus_mini"):
        return rest
    return kind  # selection runs: {target}__{strategy}


def get_ext_spec_dir(wildcards):
    if wildcards.study == "selection":
        return f"results/extensions/{wildcards.model}/selection/specs"
    if wildcards.run.startswith("multitask__"):
        return f"results/extensions/{wildcards.model}/balance/visatb"
    return f"results/extensions/{wildcards.model}/balance/prep_specs"


def get_ext_spec_path(wildcards):
    sub = "specs/" if wildcards.run.startswith("multitask__") else ""
    return f"{get_ext_spec_dir(wildcards)}/{sub}{wildcards.run}.json"


def get_ext_train_params(wildcards):
    task = _run_task(wildcards.run)
    if task is None:
        per_task = {t: train_params(config, wildcards.model, t) for t in TASK_NAMES}
        return multitask_train_params(per_task, EXT.balance)
    return train_params(config, wildcards.model, task)


def get_ext_eval_tasks(wildcards):
    """Selection runs are scored on their target, mini runs on their task, others on all."""
    kind, _, rest = wildcards.run.partition("__")
    if wildcards.study == "selection":
        return [kind]
    if kind == "mini":
        return [rest]
    return EVAL_TASKS


def get_ext_eval_splits(wildcards):
    return expand(
        "results/data/eval/{task}.parquet", task=get_ext_eval_tasks(wildcards)
    )


def get_ext_encoded_inputs(wildcards):
    if GENERATE:  # generation mode runs the processor with its own prompt
        return []
    return expand(
        "results/encoded/{model}/{task}.safetensors",
        model=wildcards.model,
        task=get_ext_eval_tasks(wildcards),
    )


def _ext_eval_file(model, study, run, seed, name):
    return f"results/extensions/{model}/{study}/eval/{run}/seed{seed}/{name}"


def get_ext_selection_predictions(wildcards):
    """Base, direct and every trained mixture's predictions (read after the checkpoint)."""
    from tasktransfer.extensions.spec import read_specs

    spec_dir = checkpoints.ext_select.get(model=wildcards.model).output[0]
    runs = [s.name for s in read_specs(spec_dir) if s.tasks]
    files = [f"results/eval/{wildcards.model}/base/predictions.parquet"]
    files += expand(
        "results/eval/{model}/{task}/seed{seed}/predictions.parquet",
        model=wildcards.model,
        task=EXT.selection.targets,
        seed=SEEDS,
    )
    files += [
        _ext_eval_file(wildcards.model, "selection", r, s, "predictions.parquet")
        for r in runs
        for s in _ext_seeds("selection")
    ]
    return files


def _prep_runs():
    if EXT.balance.form == "simple":
        return [f"mini__{t}" for t in TASK_NAMES]
    return [f"plus_mini__{t}" for t in TASK_NAMES] + ["all_mini"]


def get_ext_visatb_accuracies(wildcards):
    files = [f"results/eval/{wildcards.model}/base/accuracy.csv"]
    files += expand(
        "results/eval/{model}/{task}/seed{seed}/accuracy.csv",
        model=wildcards.model,
        task=TASK_NAMES,
        seed=SEEDS,
    )
    files += [
        _ext_eval_file(wildcards.model, "balance", r, s, "accuracy.csv")
        for r in _prep_runs()
        for s in _ext_seeds("balance")
    ]
    return files


def get_ext_balance_predictions(wildcards):
    files = expand(
        "results/eval/{model}/{task}/seed{seed}/predictions.parquet",
        model=wildcards.model,
        task=TASK_NAMES,
        seed=SEEDS,
    )
    files += [
        _ext_eval_file(
            wildcards.model, "balance", f"multitask__{m}", s, "predictions.parquet"
        )
        for m in EXT.balance.strategies
        for s in _ext_seeds("balance")
    ]
    return files


def get_ext_upper(wildcards=None):
    upper = (config.get("analysis") or {}).get("upper_bound", 1.0)
    if isinstance(upper, dict):
        default = upper.get("default", 1.0)
        return {t: upper.get(t, default) for t in EVAL_TASKS}
    return upper


def get_extension_outputs():
    """Final outputs of the activated extension studies (for rule all)."""
    outs = []
    if is_ext_activated("selection"):
        m = EXT.selection.model
        outs += expand(
            "results/extensions/{model}/selection/selection.{ext}",
            model=m,
            ext=["csv", "png"],
        )
    if is_ext_activated("balance"):
        m = EXT.balance.model
        outs += expand(
            "results/extensions/{model}/balance/{name}",
            model=m,
            name=["balance.csv", "balance_summary.csv", "balance.png"],
        )
    return outs
