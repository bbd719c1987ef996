"""Fixtures -> builder -> Parquet for the seven part-1 tasks: loadable, BLINK-formatted, balanced."""

from __future__ import annotations

import json

import datasets
import pytest
from PIL import Image

from tasktransfer.data.cards import card_paths
from tasktransfer.data.prompts import TEMPLATES, render_prompt
from tasktransfer.splits import read_split
from tasktransfer.tasks import get_task

from .conftest import PART1_TASKS


@pytest.mark.parametrize("task", PART1_TASKS)
def test_datasets_loads_split_with_decoded_images(built, task):
    path, card = built[task]
    ds = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert len(ds) == card.examples > 0
    row = ds[0]
    spec = get_task(task)
    assert len(row["images"]) == spec.n_images
    assert all(isinstance(im, Image.Image) and im.size[0] > 0 for im in row["images"])
    assert row["task"] == task and row["split"] == "train"


@pytest.mark.parametrize("task", PART1_TASKS)
def test_prompts_follow_blink_format(built, task):
    path, _ = built[task]
    table = read_split(path, columns=["question", "choices", "answer", "meta", "source_ids"]).to_pylist()
    spec = get_task(task)
    for row in table:
        assert len(row["choices"]) == spec.n_options
        slots = {}
        meta = json.loads(row["meta"])
        if task == "Object_Localization":
            slots["object"] = meta["category"]
            assert "_" not in meta["category"]
        if task == "Functional_Correspondence":
            slots["action"] = meta["action"]
        assert row["question"] == render_prompt(task, row["choices"], **slots)
        assert row["answer"] in spec.letters
        assert row["source_ids"], "every example records its source images"
    fixed = TEMPLATES[task].choices
    assert all(tuple(r["choices"]) == fixed for r in table)


@pytest.mark.parametrize("task", PART1_TASKS)
def test_letters_balanced_within_5_points(built, task):
    path, card = built[task]
    answers = read_split(path, columns=["answer"]).column("answer").to_pylist()
    n = get_task(task).n_options
    for letter in get_task(task).letters:
        assert abs(answers.count(letter) / len(answers) - 1 / n) <= 0.05, (task, letter, answers.count(letter))
    assert card.max_letter_deviation_pp() <= 5.0


@pytest.mark.parametrize("task", PART1_TASKS)
def test_data_card_written_with_counts_and_params(built, task):
    path, card = built[task]
    jpath, mpath = card_paths(path)
    d = json.loads(jpath.read_text())
    assert d["counts"]["examples"] == card.examples
    assert sum(d["letters"].values()) == card.examples
    assert d["image_sizes"]["count"] == card.examples * get_task(task).n_images
    assert d["params"] == card.params and d["params"]
    assert d["counts"]["skipped"].get("corrupt_image") == 1, "each fixture has exactly one corrupt image"
    md = mpath.read_text()
    assert "corrupt_image" in md and "Correct-letter balance" in md


def test_only_multiview_passes_images_through(built):
    for task in PART1_TASKS:
        _, card = built[task]
        if task == "Multi-view_Reasoning":
            assert card.images_reencoded == 0 and card.images_passed_through > 0
        else:
            assert card.images_passed_through == 0 and card.images_reencoded > 0


def test_passthrough_bytes_are_the_original_files(built, raw_dir):
    path, _ = built["Multi-view_Reasoning"]
    row = read_split(path).slice(0, 1).to_pylist()[0]
    meta = json.loads(row["meta"])
    video = row["id"].split("/")[2:5]
    frame_dir = raw_dir / "Wild6D" / "test_set" / video[0] / video[1] / video[2] / "images"
    assert row["images"][0]["bytes"] == (frame_dir / meta["frames"][0]).read_bytes()
