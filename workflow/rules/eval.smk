rule eval_base:
    """The untuned base model on every evaluation split (the PGF reference)."""
    input:
        model=get_base_model_input,
        splits=get_eval_splits,
    output:
        predictions="results/eval/{model}/base/predictions.parquet",
        accuracy="results/eval/{model}/base/accuracy.csv",
    log:
        "results/logs/eval_base/{model}.log",
    benchmark:
        "results/benchmarks/eval_base/{model}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_eval_gpus,
    params:
        base_model=get_base_model,
        settings=get_eval_params,
        tasks=EVAL_TASKS,
    script:
        "../scripts/evaluate.py"


rule eval_checkpoint:
    """One adapter on every evaluation split."""
    input:
        model=get_base_model_input,
        splits=get_eval_splits,
        adapter="results/checkpoints/{model}/{task}/seed{seed}/adapter_model.safetensors",
        adapter_config="results/checkpoints/{model}/{task}/seed{seed}/adapter_config.json",
    output:
        predictions="results/eval/{model}/{task}/seed{seed}/predictions.parquet",
        accuracy="results/eval/{model}/{task}/seed{seed}/accuracy.csv",
    log:
        "results/logs/eval_checkpoint/{model}/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/eval_checkpoint/{model}/{task}/seed{seed}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_eval_gpus,
    params:
        base_model=get_base_model,
        settings=get_eval_params,
        tasks=EVAL_TASKS,
    script:
        "../scripts/evaluate.py"
