rule build_tiny_model:
    """Build the tiny random Qwen2.5-VL offline (same bytes for the same seed)."""
    output:
        touch("results/models/{model}/.complete"),
    log:
        "results/logs/build_tiny_model/{model}.log",
    benchmark:
        "results/benchmarks/build_tiny_model/{model}.tsv"
    wildcard_constraints:
        model=_alternatives(TINY_MODELS),
    conda:
        "../../envs/train.yaml"
    params:
        seed=get_tiny_seed,
        out_dir=get_model_dir,
        code_version=STAGE_VERSIONS["model"],
    script:
        "../scripts/build_tiny_model.py"


rule fetch_model:
    """Download a hub model once, on the login node, into the folder jobs read offline."""
    output:
        touch("results/models/{model}/.complete"),
    log:
        "results/logs/fetch_model/{model}.log",
    benchmark:
        "results/benchmarks/fetch_model/{model}.tsv"
    wildcard_constraints:
        model=_alternatives(HUB_MODELS),
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        hub_id=get_hub_id,
        out_dir=get_model_dir,
    script:
        "../scripts/fetch_model.py"
