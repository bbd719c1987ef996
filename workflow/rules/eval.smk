# evaluation.mode: "per_checkpoint" (default) runs one job per source; "shared" runs one
# job per model for the base and all its adapters (shared base weights, encodings and
# vision features; results/.evalcache/ makes a rerun evaluate only changed adapters).
# Either way the questions are preprocessed once per model (encode_eval) and every
# evaluation job reads those tensors instead of running the processor again.
# evaluation.scoring: "letter" (default) scores the option letters in one forward pass;
# "generate" answers as lmms-eval does (greedy generation, then evaluation.parser), in
# both modes, running the processor itself (its prompt differs from encode_eval's).
# evaluation.parity: rule eval_parity scores each base model both ways (report page).
rule encode_eval:
    """Every evaluation question of one model, preprocessed once for all its evaluations."""
    input:
        model=get_base_model_input,
        splits=EVAL_SPLITS,
    output:
        encoded=expand("results/encoded/{{model}}/{task}.safetensors", task=EVAL_TASKS),
    log:
        "results/logs/encode_eval/{model}.log",
    benchmark:
        "results/benchmarks/encode_eval/{model}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        base_model=get_base_model,
        code_version=STAGE_VERSIONS["eval"],
    script:
        "../scripts/encode_eval.py"


if (config.get("evaluation") or {}).get("mode", "per_checkpoint") == "shared":

    rule eval_model_shared:
        """The base model and every adapter of one model, in one job."""
        input:
            model=get_base_model_input,
            splits=EVAL_SPLITS,
            encoded=get_encoded_eval_inputs,
            adapters=get_model_adapter_files,
        output:
            predictions=["results/eval/{model}/base/predictions.parquet"]
            + expand(
                "results/eval/{{model}}/{task}/seed{seed}/predictions.parquet",
                task=TASK_NAMES,
                seed=SEEDS,
            ),
            accuracy=["results/eval/{model}/base/accuracy.csv"]
            + expand(
                "results/eval/{{model}}/{task}/seed{seed}/accuracy.csv",
                task=TASK_NAMES,
                seed=SEEDS,
            ),
        log:
            "results/logs/eval_model_shared/{model}.log",
        benchmark:
            "results/benchmarks/eval_model_shared/{model}.tsv"
        conda:
            "../../envs/train.yaml"
        resources:
            gpu=get_eval_gpus,
        params:
            base_model=get_base_model,
            settings=get_eval_params,
            tasks=EVAL_TASKS,
            sources=[("base", "")] + [(t, s) for t in TASK_NAMES for s in SEEDS],
        script:
            "../scripts/evaluate.py"

else:

    rule eval_base:
        """The untuned base model on every evaluation split (the PGF reference)."""
        input:
            model=get_base_model_input,
            splits=EVAL_SPLITS,
            encoded=get_encoded_eval_inputs,
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
            splits=EVAL_SPLITS,
            encoded=get_encoded_eval_inputs,
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


rule eval_parity:
    """One base model scored both ways (letter and lmms-eval generation) on every evaluation task."""
    input:
        model=get_base_model_input,
        splits=EVAL_SPLITS,
        encoded=get_parity_encoded_inputs,
    output:
        table="results/eval/{model}/parity/parity.csv",
        generations="results/eval/{model}/parity/generations.parquet",
        html=report(
            "results/report/parity/{model}.html",
            caption="../report/parity.rst",
            category="Evaluation",
            subcategory="Letter scoring vs generation",
            labels=get_parity_report_labels,
        ),
    log:
        "results/logs/eval_parity/{model}.log",
    benchmark:
        "results/benchmarks/eval_parity/{model}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_eval_gpus,
    params:
        base_model=get_base_model,
        settings=get_parity_params,
        tasks=EVAL_TASKS,
    script:
        "../scripts/eval_parity.py"
