"""The raw-data rules' input functions: folders, limits, builder parameters, shards."""

from __future__ import annotations

from types import SimpleNamespace

from tasktransfer.data.workflow_inputs import RawDataInputs


def _cfg(**data):
    return {"data": {"mode": "raw", "raw_root": "/raw", **data},
            "tasks": {"Relative_Depth": {"examples": 420000}, "Counting": {"epochs": 1}}}


def test_inputs_follow_config():
    raw = RawDataInputs(_cfg(shards=3, seed=4, max_skip_ratio=0.02), ["Relative_Depth", "Counting"])
    w = SimpleNamespace(task="Relative_Depth")
    assert raw.raw_ready(w) == "results/data/raw/DIW.ready.json"
    assert raw.task_raw_root(w) == "/raw/DIW"
    assert raw.limit(w) == "--limit 420000" and raw.limit(SimpleNamespace(task="Counting")) == ""
    assert raw.shard_splits(w) == [f"results/data/shards/Relative_Depth/{k}.parquet" for k in range(3)]
    assert raw.max_skip_ratio == 0.02 and not raw.blink_is_local and raw.blink_input(w) == []
    assert raw.builder_params(w) == ""
    assert "exclude_images=results/data/eval/Art_Style.source_ids.txt" in raw.builder_params(
        SimpleNamespace(task="Art_Style"))
    assert raw.fixture_task(SimpleNamespace(dataset="DIW")) == "Relative_Depth"
    assert raw.shard_mem_mb(SimpleNamespace(task="Object_Localization")) > raw.shard_mem_mb(w)


def test_fixture_mode_uses_local_blink_and_looser_ratio():
    raw = RawDataInputs(_cfg(fixtures=True), ["Relative_Depth"])
    assert raw.blink_root == "/raw/BLINK" and raw.blink_is_local and raw.max_skip_ratio == 0.25
