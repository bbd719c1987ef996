"""Same seed -> byte-identical Parquet; shards partition the work and merge cleanly."""

from __future__ import annotations

import hashlib

import pyarrow.parquet as pq
import pytest

from tasktransfer.data.build import Shard, build_split, merge_splits
from tasktransfer.data.fixtures import fixture_root, write_fixtures

from .conftest import PART1_TASKS


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("task", PART1_TASKS)
def test_same_seed_gives_identical_bytes(built, raw_dir, tmp_path, task):
    path, _ = built[task]
    again = tmp_path / "again.parquet"
    build_split(task, fixture_root(raw_dir, task), again, seed=0, progress=None)
    assert _sha(again) == _sha(path)


def test_other_seed_changes_output(built, raw_dir, tmp_path):
    path, _ = built["Semantic_Correspondence"]
    other = tmp_path / "seed1.parquet"
    build_split("Semantic_Correspondence", fixture_root(raw_dir, "Semantic_Correspondence"), other, seed=1,
                progress=None)
    assert _sha(other) != _sha(path)


def test_fixtures_are_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        write_fixtures(out, seed=3, tasks=["Relative_Depth", "Multi-view_Reasoning"])
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def test_shards_partition_items_and_merge(built, raw_dir, tmp_path):
    task = "Visual_Correspondence"
    full_path, full = built[task]
    shards = []
    for k in range(3):
        out = tmp_path / f"s{k}.parquet"
        build_split(task, fixture_root(raw_dir, task), out, shard=Shard(k, 3), progress=None)
        shards.append(out)
    merged = merge_splits(shards, tmp_path / "merged.parquet")
    ids = pq.read_table(tmp_path / "merged.parquet", columns=["id"]).column("id").to_pylist()
    full_ids = pq.read_table(full_path, columns=["id"]).column("id").to_pylist()
    assert sorted(ids) == sorted(full_ids), "per-item randomness does not depend on sharding"
    assert merged.examples == full.examples and merged.skipped == full.skipped
    assert merged.shards == ["0/3", "1/3", "2/3"]


def test_limit_is_split_over_shards(raw_dir, tmp_path):
    task = "Relative_Depth"
    total = 0
    for k in range(2):
        card = build_split(task, fixture_root(raw_dir, task), tmp_path / f"l{k}.parquet", limit=11,
                           shard=Shard(k, 2), progress=None)
        total += card.examples
    assert total == 11


def test_merge_refuses_duplicate_ids(built, tmp_path):
    path, _ = built["Relative_Depth"]
    with pytest.raises(ValueError, match="already present"):
        merge_splits([path, path], tmp_path / "dup.parquet")
    assert not (tmp_path / "dup.parquet").exists()
