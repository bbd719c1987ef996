"""BLINK val: hub-layout fixtures -> canonical eval splits and leakage ids."""

from __future__ import annotations

import argparse
from collections import Counter

import datasets
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tasktransfer.data import blink_cli
from tasktransfer.data.prompts import render_prompt
from tasktransfer.data.sources.blink import BlinkFormatError, image_source_id, load_blink, write_blink
from tasktransfer.splits import read_split
from tasktransfer.tasks import TASKS


def test_fixture_is_hub_layout_and_loads_with_datasets(blink_root):
    for task in TASKS:
        files = sorted((blink_root / task).glob("val-*.parquet"))
        assert len(files) == 1
        ds = datasets.load_dataset("parquet", data_files=str(files[0]), split="train")
        assert ds.column_names == ["idx", "question", "sub_task", "image_1", "image_2", "image_3", "image_4",
                                   "choices", "answer", "prompt", "explanation"]
        row = ds[0]
        n = TASKS[task].n_images
        assert all(isinstance(row[f"image_{k}"], Image.Image) for k in range(1, n + 1))
        assert all(row[f"image_{k}"] is None for k in range(n + 1, 5))
        assert row["idx"] == f"val_{task}_1" and row["answer"] in {f"({x})" for x in TASKS[task].letters}


def test_fixture_prompts_are_blink_prompts(blink_root):
    table = pq.read_table(blink_root / "Jigsaw" / "val-00000-of-00001.parquet")
    prompt = table.column("prompt")[0].as_py()
    assert prompt == (
        "Given the first image with the lower right corner missing, can you tell which one of the second image or "
        "the third image is the missing part? Imagine which image would be more appropriate to place in the missing "
        "spot. You can also carefully observe and compare the edges of the images.\nSelect from the following "
        "choices.\n\n(A) the second image\n(B) the third image\n")
    counting = pq.read_table(blink_root / "Counting" / "val-00000-of-00001.parquet").to_pylist()
    for row in counting:
        assert row["prompt"] == render_prompt("Counting", row["choices"], question=row["question"])


@pytest.mark.parametrize("task", list(TASKS))
def test_loader_to_canonical_split(task, blink_root, tmp_path):
    out, ids_out = tmp_path / "eval.parquet", tmp_path / "ids.txt"
    n, ids = write_blink(str(blink_root), task, out, ids_out)
    raw = pq.read_table(blink_root / task / "val-00000-of-00001.parquet").to_pylist()
    table = read_split(out).to_pylist()
    assert n == len(raw) == len(table) == 12
    for src, row in zip(raw, table):
        assert row["id"] == src["idx"] and row["question"] == src["prompt"] and row["source"] == "BLINK"
        assert row["choices"] == src["choices"] and f"({row['answer']})" == src["answer"]
        imgs = [src[f"image_{k}"]["bytes"] for k in range(1, 5) if src[f"image_{k}"] is not None]
        assert [im["bytes"] for im in row["images"]] == imgs
        assert row["source_ids"] == [image_source_id(b) for b in imgs]
    assert ids_out.read_text().splitlines() == ids == sorted({i for r in table for i in r["source_ids"]})
    letters = Counter(r["answer"] for r in table)
    assert set(letters.values()) == {12 // TASKS[task].n_options}  # exactly balanced


def _rewrite(blink_root, tmp_path, task, **change):
    rows = pq.read_table(blink_root / task / "val-00000-of-00001.parquet")
    for col, value in change.items():
        i = rows.schema.get_field_index(col)
        rows = rows.set_column(i, col, [[value] * rows.num_rows]) if value is not None else rows.remove_column(i)
    (tmp_path / task).mkdir(exist_ok=True)
    pq.write_table(rows, tmp_path / task / "val-00000-of-00001.parquet")


def test_loader_bad_answer_names_row(blink_root, tmp_path):
    _rewrite(blink_root, tmp_path, "Relative_Depth", answer="hidden")
    with pytest.raises(BlinkFormatError, match=r"row 'val_Relative_Depth_1': field `answer` is 'hidden'; expected one of \['\(A\)', '\(B\)'\]"):
        list(load_blink(str(tmp_path), "Relative_Depth"))


def test_loader_missing_column_and_missing_files(blink_root, tmp_path):
    _rewrite(blink_root, tmp_path, "Counting", prompt=None)
    with pytest.raises(BlinkFormatError, match="missing column\\(s\\) prompt"):
        list(load_blink(str(tmp_path), "Counting"))
    with pytest.raises(FileNotFoundError, match="Jigsaw/val-\\*.parquet"):
        list(load_blink(str(tmp_path), "Jigsaw"))
    with pytest.raises(KeyError, match="unknown task"):
        list(load_blink(str(tmp_path), "IQ_Test"))


def test_cli_load_all(blink_root, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    blink_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["blink", "load", "--root", str(blink_root), "--task", "all", "--out",
                              str(tmp_path / "eval"), "--ids-out", str(tmp_path / "ids")])
    assert args.func(args) == 0
    assert sorted(p.stem for p in (tmp_path / "eval").glob("*.parquet")) == sorted(TASKS)
    assert (tmp_path / "ids" / "Counting.txt").read_text().startswith("sha256:")


def test_loader_reads_from_the_hub_by_id(blink_root, monkeypatch):
    """A hub id goes through datasets.load_dataset(hub_id, task, split=...) (mocked: no network here)."""
    calls = []
    real_load_dataset = datasets.load_dataset

    def fake_load_dataset(path, name=None, split=None, **kw):
        calls.append((path, name, split))
        files = str(blink_root / name / f"{split}-00000-of-00001.parquet")
        return real_load_dataset("parquet", data_files=files, split="train")

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    hub = list(load_blink("BLINK-Benchmark/BLINK", "Visual_Similarity"))
    monkeypatch.undo()
    local = list(load_blink(str(blink_root), "Visual_Similarity"))
    assert calls == [("BLINK-Benchmark/BLINK", "Visual_Similarity", "val")]
    assert [e.to_row() for e in hub] == [e.to_row() for e in local]
    with pytest.raises(FileNotFoundError, match="neither a directory nor a hub id"):
        list(load_blink("no_such_dir", "Counting"))
