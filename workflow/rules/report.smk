# The run manifest (provenance of every result) and what the Snakemake report shows.
#   snakemake results/provenance/manifest.json          (part of `all` once listed there)
#   snakemake --report results/report.html               (after a run)


def get_manifest_jobs(wildcards=None):
    """Every GPU job (and the jobs around them) with its benchmark file and GPU count."""
    jobs = []
    for model in MODELS:
        m = config["models"][model]
        jobs.append(
            {
                "rule": "eval_base",
                "wildcards": {"model": model},
                "benchmark": f"results/benchmarks/eval_base/{model}.tsv",
                "gpus": m.get("eval_gpus", 0),
            }
        )
        for task in TASK_NAMES:
            for seed in SEEDS:
                for rule, gpus in (
                    ("train_lora", m.get("train_gpus", 0)),
                    ("eval_checkpoint", m.get("eval_gpus", 0)),
                ):
                    jobs.append(
                        {
                            "rule": rule,
                            "wildcards": {"model": model, "task": task, "seed": seed},
                            "benchmark": f"results/benchmarks/{rule}/{model}/{task}/seed{seed}.tsv",
                            "gpus": gpus,
                        }
                    )
    return jobs


def get_manifest_benchmarks(wildcards=None):
    return [job["benchmark"] for job in get_manifest_jobs()]


def get_manifest_splits(wildcards=None):
    return expand("results/data/train/{task}.parquet", task=TASK_NAMES) + expand(
        "results/data/eval/{task}.parquet", task=EVAL_TASKS
    )


def get_manifest_adapters(wildcards=None):
    return expand(
        "results/checkpoints/{model}/{task}/seed{seed}/adapter_model.safetensors",
        model=MODELS,
        task=TASK_NAMES,
        seed=SEEDS,
    )


def get_raw_inputs(wildcards=None):
    """Raw datasets read by the data builders (checksummed, with a size/mtime cache)."""
    data = config["data"]
    if data["mode"] != "raw":
        return []
    paths = [data.get("raw_root"), data.get("blink")]
    return [p for p in paths if p and os.path.isdir(p)]


rule run_manifest:
    """Provenance of this run: code, config, packages, hardware, jobs, checksums, seeds."""
    input:
        benchmarks=get_manifest_benchmarks(),
        splits=get_manifest_splits(),
        # The adapters are inputs so that a deleted checkpoint is retrained (Snakemake
        # only rebuilds a missing intermediate file when something downstream needs it).
        adapters=get_manifest_adapters(),
        accuracy="results/eval/accuracies.csv",
        analysis="results/analysis",
    output:
        json="results/provenance/manifest.json",
        html=report(
            "results/provenance/manifest.html",
            caption="../report/manifest.rst",
            category="Provenance",
            labels={"what": "run manifest"},
        ),
    log:
        "results/logs/run_manifest.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        jobs=get_manifest_jobs(),
        raw_inputs=get_raw_inputs(),
        slurm_logdir="logs/slurm",
        benchmark_root="results/benchmarks",
        checksum_cache="results/provenance/.checksums.json",
        repo_root=workflow.basedir,
    script:
        "../scripts/run_manifest.py"
