# Extension studies (docs/extensions.md), switched on by an `extensions:` config section.
#
# results/extensions/<model>/
#   selection/specs/                 checkpoint: one mixture spec per (target, strategy) + ranking.csv
#   selection/checkpoints/<run>/seed<s>/, selection/eval/<run>/seed<s>/
#   selection/selection.csv|png|pdf  accuracy and PGF on each target per strategy (bootstrap CIs)
#   balance/prep_specs/              VisATB preparation runs (mini subsets)
#   balance/checkpoints/<run>/seed<s>/, balance/eval/<run>/seed<s>/
#   balance/visatb/                  contributions, difficulties, weights, multi-task specs
#   balance/balance.csv, balance_summary.csv, balance.png|pdf   VITW vs EW vs TLA vs single-task
#
# One mixture run:  snakemake results/extensions/tiny/selection/eval/J__pgf_topk/seed0/accuracy.csv


include: "extensions_common.smk"


checkpoint ext_select:
    """PGF-guided, random and uniform mixtures for each target (data-dependent: a checkpoint)."""
    input:
        analysis="results/analysis",
        splits=get_ext_target_splits,
    output:
        directory("results/extensions/{model}/selection/specs"),
    log:
        "results/logs/ext_select/{model}.log",
    benchmark:
        "results/benchmarks/ext_select/{model}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        pgf=get_ext_pgf_matrix,
        significance=get_ext_significance,
        settings=get_ext_select_params,
        targets=get_ext_targets,
        tasks=TASK_NAMES,
        caps=_ext_caps(),
    script:
        "../scripts/ext_select.py"


rule ext_prep_specs:
    """Mixture specs of the VisATB preparation runs (mini subsets of every task)."""
    input:
        splits=TRAIN_SPLITS,
    output:
        directory("results/extensions/{model}/balance/prep_specs"),
    log:
        "results/logs/ext_prep_specs/{model}.log",
    benchmark:
        "results/benchmarks/ext_prep_specs/{model}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_ext_prep_params,
        tasks=TASK_NAMES,
        caps=_ext_caps(),
    script:
        "../scripts/ext_prep_specs.py"


rule ext_train_mixture:
    """One LoRA adapter on a mixture spec (selection, VisATB preparation or multi-task run)."""
    input:
        model=get_base_model_input,
        spec_dir=get_ext_spec_dir,
        splits=TRAIN_SPLITS,
    output:
        adapter="results/extensions/{model}/{study}/checkpoints/{run}/seed{seed}/adapter_model.safetensors",
        adapter_config="results/extensions/{model}/{study}/checkpoints/{run}/seed{seed}/adapter_config.json",
        metrics="results/extensions/{model}/{study}/checkpoints/{run}/seed{seed}/metrics.json",
    log:
        "results/logs/ext_train_mixture/{model}/{study}/{run}/seed{seed}.log",
    benchmark:
        "results/benchmarks/ext_train_mixture/{model}/{study}/{run}/seed{seed}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_train_gpus,
    params:
        base_model=get_base_model,
        spec=get_ext_spec_path,
        settings=get_ext_train_params,
        tasks=TASK_NAMES,
    script:
        "../scripts/ext_train_mixture.py"


rule ext_eval_mixture:
    """A mixture adapter on its target (selection), its task (mini) or every task."""
    input:
        model=get_base_model_input,
        splits=get_ext_eval_splits,
        encoded=get_ext_encoded_inputs,
        adapter="results/extensions/{model}/{study}/checkpoints/{run}/seed{seed}/adapter_model.safetensors",
        adapter_config="results/extensions/{model}/{study}/checkpoints/{run}/seed{seed}/adapter_config.json",
    output:
        predictions="results/extensions/{model}/{study}/eval/{run}/seed{seed}/predictions.parquet",
        accuracy="results/extensions/{model}/{study}/eval/{run}/seed{seed}/accuracy.csv",
    log:
        "results/logs/ext_eval_mixture/{model}/{study}/{run}/seed{seed}.log",
    benchmark:
        "results/benchmarks/ext_eval_mixture/{model}/{study}/{run}/seed{seed}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_eval_gpus,
    params:
        base_model=get_base_model,
        settings=get_eval_params,
        tasks=get_ext_eval_tasks,
    script:
        "../scripts/ext_evaluate.py"


rule ext_visatb:
    """Inter-task contributions, intra-task difficulties, VisATB weights, multi-task specs."""
    input:
        accuracy=get_ext_visatb_accuracies,
        splits=TRAIN_SPLITS,
    output:
        directory("results/extensions/{model}/balance/visatb"),
    log:
        "results/logs/ext_visatb/{model}.log",
    benchmark:
        "results/benchmarks/ext_visatb/{model}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_ext_visatb_params,
        tasks=TASK_NAMES,
        caps=_ext_caps(),
    script:
        "../scripts/ext_visatb.py"


rule ext_selection_report:
    """Accuracy and PGF on each target: PGF top-k vs random vs all others vs direct FT."""
    input:
        specs="results/extensions/{model}/selection/specs",
        predictions=get_ext_selection_predictions,
    output:
        table=report(
            "results/extensions/{model}/selection/selection.csv",
            caption="../report/ext_selection.rst",
            category="Extensions",
            subcategory="Data selection",
        ),
        figure=report(
            "results/extensions/{model}/selection/selection.png",
            caption="../report/ext_selection.rst",
            category="Extensions",
            subcategory="Data selection",
        ),
        pdf="results/extensions/{model}/selection/selection.pdf",
    log:
        "results/logs/ext_selection_report/{model}.log",
    benchmark:
        "results/benchmarks/ext_selection_report/{model}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_ext_selection_report_params,
        upper=get_ext_upper,
    script:
        "../scripts/ext_selection_report.py"


rule ext_balance_report:
    """Per-task accuracy and Delta I / Delta E of VITW, EW and TLA against single-task FT."""
    input:
        visatb="results/extensions/{model}/balance/visatb",
        predictions=get_ext_balance_predictions,
    output:
        table=report(
            "results/extensions/{model}/balance/balance.csv",
            caption="../report/ext_balance.rst",
            category="Extensions",
            subcategory="Task balancing",
        ),
        summary="results/extensions/{model}/balance/balance_summary.csv",
        figure=report(
            "results/extensions/{model}/balance/balance.png",
            caption="../report/ext_balance.rst",
            category="Extensions",
            subcategory="Task balancing",
        ),
        pdf="results/extensions/{model}/balance/balance.pdf",
    log:
        "results/logs/ext_balance_report/{model}.log",
    benchmark:
        "results/benchmarks/ext_balance_report/{model}.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_ext_balance_report_params,
        tasks=TASK_NAMES,
    script:
        "../scripts/ext_balance_report.py"
