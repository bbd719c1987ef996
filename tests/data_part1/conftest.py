"""Shared fixtures: the seven part-1 raw datasets written once, and each task built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasktransfer.data.build import build_split
from tasktransfer.data.fixtures import fixture_root, write_fixtures

PART1_TASKS = (
    "Relative_Depth", "Relative_Reflectance", "Visual_Correspondence", "Semantic_Correspondence",
    "Functional_Correspondence", "Multi-view_Reasoning", "Object_Localization",
)
REALSAMPLES = Path(__file__).parent / "realsamples"


@pytest.fixture(scope="session")
def raw_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    write_fixtures(out, seed=0, tasks=PART1_TASKS)
    return out


@pytest.fixture(scope="session")
def built(raw_dir, tmp_path_factory) -> dict[str, tuple[Path, object]]:
    """task -> (split path, card) for a default build of every part-1 task."""
    out = tmp_path_factory.mktemp("built")
    result = {}
    for task in PART1_TASKS:
        path = out / f"{task}.parquet"
        card = build_split(task, fixture_root(raw_dir, task), path, seed=0, progress=None)
        result[task] = (path, card)
    return result
