"""Mixture planning: exact budget, proportions, determinism, per-task independence."""

import io
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tasktransfer.splits import Example, write_split
from tasktransfer.train.mixture import MixtureComponent, MixtureDataset, apportion, components_from_config


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _split(path, task, n):
    img = _png()
    write_split(
        path,
        [Example(f"{task}-{i}", task, "train", [img], f"q{i}", ["x", "y"], "AB"[i % 2], "test") for i in range(n)],
    )
    return path


@pytest.fixture
def splits(tmp_path):
    return {t: _split(tmp_path / f"{t}.parquet", t, n) for t, n in [("Counting", 10), ("Jigsaw", 3), ("Art_Style", 7)]}


@given(st.integers(0, 500), st.lists(st.integers(0, 50), min_size=1, max_size=13).filter(lambda r: sum(r) > 0))
@settings(max_examples=200, deadline=None)
def test_apportion_sums_to_budget_and_stays_within_one_of_quota(budget, ratios):
    counts = apportion(budget, ratios)
    assert sum(counts) == budget
    for c, r in zip(counts, ratios):
        quota = budget * r / sum(ratios)
        assert quota - 1 < c < quota + 1
        if r == 0:
            assert c == 0


def test_apportion_rejects_all_zero():
    with pytest.raises(ValueError, match="sum to 0"):
        apportion(10, [0, 0])


def test_counts_weights_and_cycling(splits):
    comps = [
        MixtureComponent("Counting", splits["Counting"], ratio=2, weight=1.0),
        MixtureComponent("Jigsaw", splits["Jigsaw"], ratio=1, weight=0.5),
        MixtureComponent("Art_Style", splits["Art_Style"], ratio=1, weight=0.0),
    ]
    ds = MixtureDataset(comps, budget=16, seed=3)
    assert len(ds) == 16
    items = [ds[i] for i in range(len(ds))]
    assert Counter(x["task"] for x in items) == {"Counting": 8, "Jigsaw": 4, "Art_Style": 4}
    assert {x["task"]: x["loss_weight"] for x in items} == {"Counting": 1.0, "Jigsaw": 0.5, "Art_Style": 0.0}
    jig = Counter(x["id"] for x in items if x["task"] == "Jigsaw")
    assert sorted(jig.values()) == [1, 1, 2]  # 3 rows, 4 draws: each once before any repeat
    counting = [x["id"] for x in items if x["task"] == "Counting"]
    assert len(set(counting)) == 8  # enough rows: no repeats
    assert ds.describe()["tasks"]["Jigsaw"] == {"ratio": 1, "weight": 0.5, "examples": 4, "available": 3}


def test_deterministic_and_seed_dependent(splits):
    comps = [MixtureComponent(t, p) for t, p in splits.items()]
    ids = lambda ds: [ds[i]["id"] for i in range(len(ds))]  # noqa: E731
    assert ids(MixtureDataset(comps, 12, seed=0)) == ids(MixtureDataset(comps, 12, seed=0))
    assert ids(MixtureDataset(comps, 12, seed=0)) != ids(MixtureDataset(comps, 12, seed=1))


def test_adding_a_task_keeps_other_tasks_rows(splits):
    a = MixtureDataset([MixtureComponent("Counting", splits["Counting"])], 5, seed=7)
    b = MixtureDataset(
        [MixtureComponent("Counting", splits["Counting"]), MixtureComponent("Jigsaw", splits["Jigsaw"])], 10, seed=7
    )
    assert sorted(a[i]["id"] for i in range(5)) == sorted(b[i]["id"] for i in range(10) if b[i]["task"] == "Counting")


def test_bad_inputs(splits, tmp_path):
    with pytest.raises(ValueError, match="`weight` must be a finite number >= 0"):
        MixtureComponent("Counting", splits["Counting"], weight=-1)
    with pytest.raises(ValueError, match="more than once"):
        MixtureDataset([MixtureComponent("Counting", splits["Counting"])] * 2, 4, 0)
    with pytest.raises(ValueError, match="in the split given for 'Jigsaw'"):
        MixtureDataset([MixtureComponent("Jigsaw", splits["Counting"])], 4, 0)
    with pytest.raises(KeyError, match="no split path"):
        components_from_config({"Counting": {"ratio": 1}}, {})
    with pytest.raises(ValueError, match="unknown keys"):
        components_from_config({"Counting": {"ratoi": 1}}, splits)
    comps = components_from_config({"Counting": {"ratio": 3, "weight": 2}}, splits)
    assert comps == [MixtureComponent("Counting", splits["Counting"], 3.0, 2.0)]
