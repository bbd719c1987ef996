# Training splits from the raw source datasets, and evaluation splits from BLINK (data.mode: raw).
#
# raw_dataset (local: downloads on the login node, or writes fixtures)
#   -> build_train_shard (one job per shard, data.shards per task, streaming, CPU)
#   -> merge_train_shards -> results/data/train/{task}.parquet (+ .card.json/.card.md)
# blink_eval_split (BLINK val -> results/data/eval/{task}.parquet + the leakage id list)
#   -> blink_image_hashes (perceptual hashes of those images)
# Training builds exclude items whose source images are on the task's BLINK id list or are
# near-duplicates (perceptual hash) of one of its BLINK images.

import os

from tasktransfer.data.fixtures import fixture_spec
from tasktransfer.data.registry import get_builder
from tasktransfer.versions import STAGE_VERSIONS

DATA = config["data"]
RAW_ROOT = DATA["raw_root"]
DATA_SEED = DATA.get("seed", 0)
N_SHARDS = DATA.get("shards", 1)
DATA_FIXTURES = DATA.get("fixtures", False)
# Fixture datasets contain deliberately bad records (a few per dataset), so they are built
# with a looser skip ratio than real data.
MAX_SKIP_RATIO = max(DATA.get("max_skip_ratio", 0.01), 0.25) if DATA_FIXTURES else DATA.get("max_skip_ratio", 0.01)
BLINK_ROOT = os.path.join(RAW_ROOT, "BLINK") if DATA_FIXTURES else DATA.get("blink", "BLINK-Benchmark/BLINK")
BLINK_IS_LOCAL = DATA_FIXTURES or os.path.isdir(BLINK_ROOT)


def raw_dataset_dir(task):
    """Folder of the task's source dataset under data.raw_root (same name as its fixture)."""
    return fixture_spec(task).dataset_dir


def get_raw_ready(wildcards):
    return f"results/data/raw/{raw_dataset_dir(wildcards.task)}.ready.json"


def get_raw_root(wildcards):
    return os.path.join(RAW_ROOT, raw_dataset_dir(wildcards.task))


def get_fixture_task(wildcards):
    """One task whose fixture writes this dataset (fixtures are registered per task)."""
    for task in sorted(set(TASK_NAMES) | set(EVAL_TASKS)):
        if raw_dataset_dir(task) == wildcards.dataset:
            return task
    raise ValueError(f"no configured task uses raw dataset {wildcards.dataset!r}")


def get_train_limit(wildcards):
    """``--limit N`` from tasks.<task>.examples (Table 1 sizes); no limit when not given."""
    examples = config["tasks"][wildcards.task].get("examples")
    return f"--limit {examples}" if examples else ""


def get_builder_params(wildcards):
    """Extra builder parameters: builders that match content-hash ids get the BLINK id list."""
    fields = get_builder(wildcards.task).Params.__dataclass_fields__
    if "exclude_images" in fields:
        return f"--param exclude_images=results/data/eval/{wildcards.task}.source_ids.txt"
    return ""


def get_train_shards(wildcards):
    return expand(
        "results/data/shards/{task}/{shard}.parquet", task=wildcards.task, shard=range(N_SHARDS)
    )


def get_train_shard_cards(wildcards):
    return expand(
        "results/data/shards/{task}/{shard}.card.json", task=wildcards.task, shard=range(N_SHARDS)
    )


def get_blink_input(wildcards):
    return "results/data/raw/BLINK.ready.json" if DATA_FIXTURES else []


localrules:
    raw_dataset,
    blink_fixtures,


if not BLINK_IS_LOCAL:

    localrules:
        blink_eval_split,


rule raw_dataset:
    """Make one source dataset present: download + unpack (skipped when present) or write fixtures."""
    output:
        "results/data/raw/{dataset}.ready.json",
    wildcard_constraints:
        dataset=r"(?!BLINK$)[^/]+",
    params:
        raw_root=RAW_ROOT,
        task=get_fixture_task,
        fixtures="--fixtures" if DATA_FIXTURES else "",
        seed=DATA_SEED,
    log:
        "results/logs/raw_dataset/{dataset}.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer data download --task {params.task} --raw-root {params.raw_root} {params.fixtures}"
        " --seed {params.seed} --ready {output} > {log} 2>&1"


rule blink_fixtures:
    """Fixture copy of BLINK val in the hub's Parquet layout (data.fixtures only)."""
    output:
        "results/data/raw/BLINK.ready.json",
    params:
        out=BLINK_ROOT,
        seed=DATA_SEED,
    log:
        "results/logs/blink_fixtures.log",
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer blink fixtures --out {params.out} --seed {params.seed} > {log} 2>&1"
        " && echo '{{\"dataset\": \"BLINK\", \"status\": \"fixtures\"}}' > {output}"


rule blink_eval_split:
    """BLINK val of one task as a canonical split, plus its image ids for leakage exclusion."""
    input:
        get_blink_input,
    output:
        split="results/data/eval/{task}.parquet",
        ids="results/data/eval/{task}.source_ids.txt",
    params:
        root=BLINK_ROOT,
        code_version=STAGE_VERSIONS["data"],
    log:
        "results/logs/blink_eval_split/{task}.log",
    benchmark:
        "results/benchmarks/blink_eval_split/{task}.tsv"
    conda:
        "../../envs/data.yaml"
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
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer data hashes {input} --out {output} > {log} 2>&1"


rule build_train_shard:
    """One shard of a task's training split, streamed from the raw dataset (one core)."""
    input:
        ready=get_raw_ready,
        blink_ids="results/data/eval/{task}.source_ids.txt",
        blink_hashes="results/data/eval/{task}.dhash.txt",
    output:
        split=temp("results/data/shards/{task}/{shard}.parquet"),
        card_json=temp("results/data/shards/{task}/{shard}.card.json"),
        card_md=temp("results/data/shards/{task}/{shard}.card.md"),
    wildcard_constraints:
        shard=r"\d+",
    params:
        raw_root=get_raw_root,
        limit=get_train_limit,
        n_shards=N_SHARDS,
        seed=DATA_SEED,
        max_skip_ratio=MAX_SKIP_RATIO,
        extra=get_builder_params,
        code_version=STAGE_VERSIONS["data"],
    resources:
        cpus_per_task=1,
        mem_mb=4000,
        runtime="2h",
    log:
        "results/logs/build_train_shard/{task}/{shard}.log",
    benchmark:
        "results/benchmarks/build_train_shard/{task}/{shard}.tsv"
    conda:
        "../../envs/data.yaml"
    shell:
        "tasktransfer data build --task {wildcards.task} --raw-root {params.raw_root} --split train"
        " --out {output.split} {params.limit} --shard {wildcards.shard}/{params.n_shards}"
        " --seed {params.seed} --exclude-ids {input.blink_ids} --near-dup-hashes {input.blink_hashes}"
        " --max-skip-ratio {params.max_skip_ratio}"
        " {params.extra} > {log} 2>&1"


rule merge_train_shards:
    """Concatenate a task's shards into its training split and merge the data cards."""
    input:
        splits=get_train_shards,
        cards=get_train_shard_cards,
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
