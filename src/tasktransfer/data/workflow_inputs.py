"""Input functions and settings of the raw-data workflow rules (workflow/rules/data_raw.smk).

Kept in the library so the rule file holds rules only and the logic is testable: which
folder a task's dataset lives in, the example limit from the config, the extra builder
parameters, the shard file lists, and the skip ratio (looser for fixtures, which are
bad on purpose).
"""

from __future__ import annotations

import os
from typing import Any

from .fixtures import fixture_spec
from .registry import get_builder

FIXTURE_MIN_SKIP_RATIO = 0.25
# Memory per build job (MB): a shard holds one image pair at a time plus the annotation
# index; LVIS's 1.1 GB train JSON is parsed whole (segmentations dropped while parsing).
SHARD_MEM_MB = 4000
SHARD_MEM_MB_BY_DATASET = {"LVIS": 12000}


class RawDataInputs:
    """Settings of ``config["data"]`` plus the rules' input/param functions (take ``wildcards``)."""

    def __init__(self, config: dict[str, Any], tasks: list[str]) -> None:
        data = config["data"]
        self.config = config
        self.tasks = sorted(tasks)
        self.raw_root = data["raw_root"]
        self.seed = data.get("seed", 0)
        self.n_shards = data.get("shards", 1)
        self.fixtures = bool(data.get("fixtures", False))
        ratio = data.get("max_skip_ratio", 0.01)
        self.max_skip_ratio = max(ratio, FIXTURE_MIN_SKIP_RATIO) if self.fixtures else ratio
        self.blink_root = (os.path.join(self.raw_root, "BLINK") if self.fixtures
                           else data.get("blink", "BLINK-Benchmark/BLINK"))
        self.blink_is_local = self.fixtures or os.path.isdir(self.blink_root)

    @staticmethod
    def dataset_dir(task: str) -> str:
        """Folder of the task's source dataset under data.raw_root (same name as its fixture)."""
        return fixture_spec(task).dataset_dir

    def raw_ready(self, wildcards) -> str:
        return f"results/data/raw/{self.dataset_dir(wildcards.task)}.ready.json"

    def task_raw_root(self, wildcards) -> str:
        return os.path.join(self.raw_root, self.dataset_dir(wildcards.task))

    def fixture_task(self, wildcards) -> str:
        """A configured task whose fixture writes dataset ``wildcards.dataset``."""
        for task in self.tasks:
            if self.dataset_dir(task) == wildcards.dataset:
                return task
        raise ValueError(f"no configured task uses raw dataset {wildcards.dataset!r}")

    def limit(self, wildcards) -> str:
        """``--limit N`` from tasks.<task>.examples (Table 1 sizes); empty when not given."""
        examples = self.config["tasks"][wildcards.task].get("examples")
        return f"--limit {examples}" if examples else ""

    def builder_params(self, wildcards) -> str:
        """Builders that match content-hash ids (``exclude_images``) get the task's BLINK id list."""
        if "exclude_images" in get_builder(wildcards.task).Params.__dataclass_fields__:
            return f"--param exclude_images=results/data/eval/{wildcards.task}.source_ids.txt"
        return ""

    def shard_mem_mb(self, wildcards) -> int:
        return SHARD_MEM_MB_BY_DATASET.get(self.dataset_dir(wildcards.task), SHARD_MEM_MB)

    def shard_splits(self, wildcards) -> list[str]:
        return [f"results/data/shards/{wildcards.task}/{k}.parquet" for k in range(self.n_shards)]

    def shard_cards(self, wildcards) -> list[str]:
        return [f"results/data/shards/{wildcards.task}/{k}.card.json" for k in range(self.n_shards)]

    def blink_input(self, wildcards) -> list[str]:
        return ["results/data/raw/BLINK.ready.json"] if self.fixtures else []
