# Training splits from the raw source datasets, and evaluation splits from BLINK (data.mode: raw).
#
# raw_dataset (local: downloads on the login node, or writes fixtures)
#   -> build_train_shard (one job per shard, data.shards per task, streaming, CPU)
#   -> merge_train_shards -> results/data/train/{task}.parquet (+ .card.json/.card.md)
# blink_eval_split (BLINK val -> results/data/eval/{task}.parquet + the leakage id list)
#   -> blink_image_hashes (perceptual hashes of those images)
# Training builds exclude items whose source images are on the task's BLINK id list or are
# near-duplicates (perceptual hash) of one of its BLINK images.

from tasktransfer.data.workflow_inputs import RawDataInputs
from tasktransfer.versions import STAGE_VERSIONS

RAW = RawDataInputs(config, sorted(set(TASK_NAMES) | set(EVAL_TASKS)))


localrules:
    raw_dataset,
    blink_fixtures,


if not RAW.blink_is_local:

    localrules:
        blink_eval_split,


rule raw_dataset:
    """Make one source dataset present: download + unpack (skipped when present) or write fixtures."""
    output:
        "results/data/raw/{dataset}.ready.json",
    log:
        "results/logs/raw_dataset/{dataset}.log",
    benchmark:
        "results/benchmarks/raw_dataset/{dataset}.tsv"
    wildcard_constraints:
        dataset=r"(?!BLINK$)[^/]+",
    conda:
        "../../envs/data.yaml"
    params:
        raw_root=RAW.raw_root,
        task=RAW.fixture_task,
        fixtures="--fixtures" if RAW.fixtures else "",
        seed=RAW.seed,
    shell:
        "tasktransfer data download --task {params.task} --raw-root {params.raw_root} {params.fixtures}"
        " --seed {params.seed} --ready {output} > {log} 2>&1"


rule blink_fixtures:
    """Fixture copy of BLINK val in the hub's Parquet layout (data.fixtures only)."""
    output:
        "results/data/raw/BLINK.ready.json",
    log:
        "results/logs/blink_fixtures.log",
    benchmark:
        "results/benchmarks/blink_fixtures.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        out=RAW.blink_root,
        seed=RAW.seed,
    shell:
        "tasktransfer blink fixtures --out {params.out} --seed {params.seed} > {log} 2>&1"
        ' && echo \'{{"dataset": "BLINK", "status": "fixtures"}}\' > {output}'


rule blink_eval_split:
    """BLINK val of one task as a canonical split, plus its image ids for leakage exclusion."""
    input:
        RAW.blink_input,
    output:
        split="results/data/eval/{task}.parquet",
        ids="results/data/eval/{task}.source_ids.txt",
    log:
        "results/logs/blink_eval_split/{task}.log",
    benchmark:
        "results/benchmarks/blink_eval_split/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    params:
        root=RAW.blink_root,
        code_version=STAGE_VERSIONS["data"],
    shell:
        "tasktransfer blink load --root {params.root} --task {wildcards.task} --out {output.split}"
        " --ids-out {output.ids} > {log} 2>&1"


rule blink_image_hashes:
    """Perceptual hashes of a task's BLINK val images (near-duplicate exclusion in training)."""
    input:
        "results/data/eval/{task}.parquet",
    output:
        "results/data/eval/{task}.dhash.txt",
    log:
        "results/logs/blink_image_hashes/{task}.log",
    benchmark:
        "results/benchmarks/blink_image_hashes/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer data hashes {input} --out {output} > {log} 2>&1"


rule build_train_shard:
    """One shard of a task's training split, streamed from the raw dataset (one core)."""
    input:
        ready=RAW.raw_ready,
        blink_ids="results/data/eval/{task}.source_ids.txt",
        blink_hashes="results/data/eval/{task}.dhash.txt",
    output:
        split=temp("results/data/shards/{task}/{shard}.parquet"),
        card_json=temp("results/data/shards/{task}/{shard}.card.json"),
        card_md=temp("results/data/shards/{task}/{shard}.card.md"),
    log:
        "results/logs/build_train_shard/{task}/{shard}.log",
    benchmark:
        "results/benchmarks/build_train_shard/{task}/{shard}.tsv"
    wildcard_constraints:
        shard=r"\d+",
    conda:
        "../../envs/data.yaml"
    resources:
        cpus_per_task=1,
        mem_mb=RAW.shard_mem_mb,
        runtime="2h",
    params:
        raw_root=RAW.task_raw_root,
        limit=RAW.limit,
        n_shards=RAW.n_shards,
        seed=RAW.seed,
        max_skip_ratio=RAW.max_skip_ratio,
        extra=RAW.builder_params,
        code_version=STAGE_VERSIONS["data"],
    shell:
        "tasktransfer data build --task {wildcards.task} --raw-root {params.raw_root} --split train"
        " --out {output.split} {params.limit} --shard {wildcards.shard}/{params.n_shards}"
        " --seed {params.seed} --exclude-ids {input.blink_ids} --near-dup-hashes {input.blink_hashes}"
        " --max-skip-ratio {params.max_skip_ratio}"
        " {params.extra} > {log} 2>&1"


rule data_cards:
    """Every training split's data card on one page of the report."""
    input:
        cards=expand("results/data/train/{task}.card.json", task=TASK_NAMES),
    output:
        html=report(
            "results/data/cards.html",
            caption="../report/data_cards.rst",
            category="Data",
            labels={"what": "data cards"},
        ),
    log:
        "results/logs/data_cards.log",
    benchmark:
        "results/benchmarks/data_cards.tsv"
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/data_cards.py"


rule merge_train_shards:
    """Concatenate a task's shards into its training split and merge the data cards."""
    input:
        splits=RAW.shard_splits,
        cards=RAW.shard_cards,
    output:
        split="results/data/train/{task}.parquet",
        card_json="results/data/train/{task}.card.json",
        card_md="results/data/train/{task}.card.md",
    log:
        "results/logs/merge_train_shards/{task}.log",
    benchmark:
        "results/benchmarks/merge_train_shards/{task}.tsv"
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer data merge --out {output.split} {input.splits} > {log} 2>&1"
