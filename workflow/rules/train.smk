rule train_lora:
    """One LoRA adapter per (model, task, seed), language model only."""
    input:
        model=get_base_model_input,
        split="results/data/train/{task}.parquet",
    output:
        adapter="results/checkpoints/{model}/{task}/seed{seed}/adapter_model.safetensors",
        adapter_config="results/checkpoints/{model}/{task}/seed{seed}/adapter_config.json",
        metrics="results/checkpoints/{model}/{task}/seed{seed}/metrics.json",
    log:
        "results/logs/train_lora/{model}/{task}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_lora/{model}/{task}/seed{seed}.tsv"
    conda:
        "../../envs/train.yaml"
    resources:
        gpu=get_train_gpus,
    params:
        base_model=get_base_model,
        settings=get_train_params,
    script:
        "../scripts/train_lora.py"
