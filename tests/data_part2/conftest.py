"""Fixture datasets for the part-2 data tests, written once per session."""

from __future__ import annotations

import pytest

from tasktransfer.data.fixtures import blink as blink_fixture
from tasktransfer.data.fixtures import write_fixtures

PART2_TASKS = ("Counting", "Visual_Similarity", "Jigsaw", "Art_Style", "Spatial_Relation", "Forensic_Detection")


@pytest.fixture(scope="session")
def raw_roots(tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    return write_fixtures(out, seed=0, tasks=PART2_TASKS)


@pytest.fixture(scope="session")
def blink_root(tmp_path_factory):
    out = tmp_path_factory.mktemp("blink")
    blink_fixture.write(out, seed=0, n_per_task=12)
    return out
