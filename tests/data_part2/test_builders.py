"""Fixtures -> builders -> canonical Parquet, for the six image-level tasks."""

from __future__ import annotations

import random
from collections import Counter

import datasets
import pytest
from hypothesis import given, strategies as st
from PIL import Image

from tasktransfer.data.build import build_split
from tasktransfer.data.builders.art_style import sample_triplets
from tasktransfer.data.builders.counting import counting_distractors
from tasktransfer.data.errors import SkipRatioExceeded
from tasktransfer.data.leakage import load_exclude_ids
from tasktransfer.data.prompts import TEMPLATES
from tasktransfer.data.sources.blink import write_blink
from tasktransfer.splits import read_split
from tasktransfer.tasks import get_task

PART2_TASKS = ("Counting", "Visual_Similarity", "Jigsaw", "Art_Style", "Spatial_Relation", "Forensic_Detection")

LIMIT = {"Art_Style": 60}


def _build(task, root, out, **kw):
    kw.setdefault("limit", LIMIT.get(task))
    return build_split(task, root, out, seed=0, progress=None, **kw)


@pytest.mark.parametrize("task", PART2_TASKS)
def test_fixture_builds_blink_style_split(task, raw_roots, tmp_path):
    out = tmp_path / f"{task}.parquet"
    card = _build(task, raw_roots[task], out)
    spec = get_task(task)
    ds = datasets.load_dataset("parquet", data_files=str(out), split="train")
    assert len(ds) == card.examples >= 20
    row = ds[0]
    assert len(row["images"]) == spec.n_images and all(isinstance(im, Image.Image) for im in row["images"])
    template = TEMPLATES[task]
    for q, choices in zip(ds["question"], ds["choices"]):
        assert "\nSelect from the following choices.\n" in q
        assert q.endswith(template.render(choices, question="x").split("Select from the following choices.")[1])
        if template.choices:
            assert tuple(choices) == template.choices
    shares = Counter(ds["answer"])
    assert set(shares) == set(spec.letters)
    for letter in spec.letters:
        assert abs(shares[letter] / len(ds) - 1 / spec.n_options) <= 0.05, shares
    assert card.n_skipped >= 1  # every fixture carries deliberately bad records, counted


@pytest.mark.parametrize("task", PART2_TASKS)
def test_same_seed_same_bytes(task, raw_roots, tmp_path):
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    _build(task, raw_roots[task], a)
    _build(task, raw_roots[task], b)
    assert a.read_bytes() == b.read_bytes()


def test_bad_records_are_reported_by_kind(raw_roots, tmp_path):
    card = _build("Counting", raw_roots["Counting"], tmp_path / "c.parquet")
    assert card.skipped == Counter(non_integer_answer=1, missing_field=1, corrupt_image=1, unsafe_path=1)
    text = "\n".join(card.messages)
    assert "field `answer` is 'three'; expected a non-negative integer count" in text
    assert "missing field `question`" in text and "train.json" in text
    assert "'../../outside.jpg' escapes the dataset root" in text
    assert "VG_100K/corrupt.jpg" in text and "cannot decode image" in text
    vsr = _build("Spatial_Relation", raw_roots["Spatial_Relation"], tmp_path / "v.parquet")
    assert vsr.skipped["unknown_relation"] == 1 and "unknown VSR relation 'levitating over'" in "\n".join(vsr.messages)


def test_skip_ratio_fails_and_writes_nothing(raw_roots, tmp_path):
    out = tmp_path / "c.parquet"
    with pytest.raises(SkipRatioExceeded, match="exceeds the allowed skip ratio"):
        _build("Counting", raw_roots["Counting"], out, max_skip_ratio=0.02)
    assert not out.exists()


@pytest.mark.parametrize("task", PART2_TASKS)
def test_leakage_filter_drops_the_record_shared_with_blink(task, raw_roots, blink_root, tmp_path):
    _, ids = write_blink(str(blink_root), task, tmp_path / "blink.parquet", tmp_path / "blink_ids.txt")
    limit = 5000 if task == "Art_Style" else None
    base = {"balance_labels": "false"} if task == "Spatial_Relation" else {}
    if task == "Art_Style":
        base["exclude_images"] = str(tmp_path / "blink_ids.txt")
    clean = _build(task, raw_roots[task], tmp_path / "clean.parquet", limit=limit,
                   params={k: v for k, v in base.items() if k != "exclude_images"})
    filtered = _build(task, raw_roots[task], tmp_path / "filtered.parquet", limit=limit, params=base,
                      exclude_ids=load_exclude_ids(tmp_path / "blink_ids.txt"))
    kept = read_split(tmp_path / "filtered.parquet", ["source_ids"]).column("source_ids").to_pylist()
    assert not any(set(s) & set(ids) for s in kept)
    if task == "Art_Style":  # the leaked painting leaves the pool before triplets are drawn
        assert filtered.filtered["blink_image"] == 0
        all_ids = read_split(tmp_path / "clean.parquet", ["source_ids"]).column("source_ids").to_pylist()
        assert any(set(s) & set(ids) for s in all_ids)
    else:
        # Jigsaw: the picture is also another item's wrong-patch partner, so two items go
        expected = 2 if task == "Jigsaw" else 1
        assert filtered.filtered["blink_image"] == expected
        assert filtered.examples == clean.examples - expected


def test_counting_distractor_rule_examples():
    rng = random.Random(0)
    assert sorted(counting_distractors(0, 3, rng)) == [1, 2, 3]


@given(st.integers(0, 40), st.integers(3, 8), st.integers(0, 2**32))
def test_counting_distractors_property(answer, radius, seed):
    wrong = counting_distractors(answer, radius, random.Random(seed))
    assert len(set(wrong)) == 3 and answer not in wrong
    assert all(n >= 0 and abs(n - answer) <= radius for n in wrong)


def test_art_style_triplets_rule():
    styles = [0] * 5 + [1] * 4 + [2] * 1
    trips = sample_triplets(styles, 100, seed=3)
    assert len(trips) == len(set(trips)) == 100
    for r, p, n in trips:
        assert r != p and styles[r] == styles[p] != styles[n]
    assert sample_triplets(styles, 100, seed=3) == trips
    # the pool caps the count: 2 styles of 2 and 1 -> 2*1*1 distinct triplets
    assert len(sample_triplets([0, 0, 1], 10, seed=0)) == 2


def test_jigsaw_same_image_variant(raw_roots, tmp_path):
    card = _build("Jigsaw", raw_roots["Jigsaw"], tmp_path / "j.parquet", params={"distractor_source": "same_image"})
    assert card.examples >= 30 and card.params["distractor_source"] == "same_image"
    with pytest.raises(ValueError, match="`distractor_source` is 'nope'"):
        _build("Jigsaw", raw_roots["Jigsaw"], tmp_path / "k.parquet", params={"distractor_source": "nope"})


def test_art_style_parquet_images_get_the_near_duplicate_check(tmp_path):
    """Paintings held in memory (Parquet form) see the same BLINK near-duplicate filter as files."""
    import io

    from tasktransfer.data.fixtures import wikiart
    from tasktransfer.data.near_dup import NearDupIndex, dhash

    root = tmp_path / "wikiart"
    wikiart.write(root, 0, per_style=4, size=416)
    blink_copy = Image.open(io.BytesIO(wikiart.painting(0, wikiart.FIXTURE_STYLES[0], 100 * len("train"), 416)))
    index = NearDupIndex([dhash(blink_copy.resize((300, 300)))])  # BLINK's re-sized copy
    plain = build_split("Art_Style", root, tmp_path / "a.parquet", seed=0, limit=200, progress=None)
    guarded = build_split("Art_Style", root, tmp_path / "b.parquet", seed=0, limit=200, progress=None,
                          near_dup=index)
    assert plain.filtered["near_duplicate_of_blink_image"] == 0
    assert guarded.filtered["near_duplicate_of_blink_image"] > 0 and guarded.examples == 200


def test_art_style_from_image_folders(tmp_path):
    """The folder form (<split>/<Style>/<file>) builds through the file pass-through path."""
    from tasktransfer.data.fixtures import wikiart

    for style in wikiart.FIXTURE_STYLES[:3]:
        for k in range(3):
            path = tmp_path / "train" / style / f"{k}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wikiart.painting(0, style, k))
    card = build_split("Art_Style", tmp_path, tmp_path / "a.parquet", seed=0, limit=30, progress=None)
    assert card.examples == 30 and card.images_passed_through == 90
    rows = read_split(tmp_path / "a.parquet", ["meta"]).column("meta").to_pylist()
    import json
    for meta in map(json.loads, rows):
        ref, pos, neg = meta["styles"]
        assert ref == pos != neg


def test_forensic_images_normalised_alike(raw_roots, tmp_path):
    """No size/format shortcut: the real photo and the generated ones come out as same-size JPEGs."""
    import io

    _build("Forensic_Detection", raw_roots["Forensic_Detection"], tmp_path / "f.parquet", limit=8)
    for row in read_split(tmp_path / "f.parquet", ["images"]).column("images").to_pylist():
        shapes = {(im.format, im.size) for im in (Image.open(io.BytesIO(x["bytes"])) for x in row)}
        assert shapes == {("JPEG", (512, 512))}
    card = _build("Forensic_Detection", raw_roots["Forensic_Detection"], tmp_path / "g.parquet", limit=8,
                  params={"normalise": "false"})
    assert card.images_reencoded == 0 and card.images_passed_through == 32
