"""Leakage exclusion by source id, group splits, parameters, shard quotas, box jitter (properties)."""

from __future__ import annotations

import json
import random
from io import BytesIO

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tasktransfer.data.build import Shard, build_split
from tasktransfer.data.builders.object_localization import iou, jitter_box
from tasktransfer.data.fixtures import fixture_root
from tasktransfer.data.leakage import is_excluded, load_exclude_ids
from tasktransfer.data.registry import get_builder, make_params
from tasktransfer.data.splitting import group_split


def test_excluded_source_ids_never_reach_the_split(built, raw_dir, tmp_path):
    path, full = built["Semantic_Correspondence"]
    ids = pq.read_table(path, columns=["source_ids"]).column("source_ids").to_pylist()
    victim = ids[0][1]  # a target image, written "SPair-71k:<image>"
    bare = ids[1][0].split(":", 1)[1]
    exclude = tmp_path / "blink_ids.json"
    exclude.write_text(json.dumps({"source_ids": [victim, bare]}))
    out = tmp_path / "sc.parquet"
    card = build_split("Semantic_Correspondence", fixture_root(raw_dir, "Semantic_Correspondence"), out,
                       exclude_ids=load_exclude_ids(exclude), progress=None, max_skip_ratio=0.5)
    kept = {s for row in pq.read_table(out, columns=["source_ids"]).column("source_ids").to_pylist() for s in row}
    assert victim not in kept and f"SPair-71k:{bare}" not in kept
    assert card.excluded_items >= 2 and card.examples == full.examples - card.excluded_items


def test_exclude_ids_file_formats(tmp_path):
    txt = tmp_path / "ids.txt"
    txt.write_text("# BLINK val\nDIW:abc\n\nsha256:00ff  # hash\n")
    assert load_exclude_ids(txt) == {"DIW:abc", "sha256:00ff"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"ids": 3}')
    with pytest.raises(ValueError, match="JSON list"):
        load_exclude_ids(bad)
    assert is_excluded(["coco:5"], frozenset({"5"})) and not is_excluded(["coco:5"], frozenset({"coco:6"}))


def test_group_split_is_a_partition():
    groups = [f"seq{k}" for k in range(400)]
    splits = [group_split(g, 0.1, 0.1, "x") for g in groups]
    assert splits == [group_split(g, 0.1, 0.1, "x") for g in groups]
    assert 20 < splits.count("val") < 65 and 20 < splits.count("test") < 65


def test_iiw_photos_do_not_cross_splits(raw_dir):
    b = get_builder("Relative_Reflectance")
    root = fixture_root(raw_dir, "Relative_Reflectance")
    p = make_params(b, {"val_fraction": "0.2", "test_fraction": "0.2"})
    keys = {s: {it.key for it in b.items(root, s, p)} for s in ("train", "val", "test")}
    assert not (keys["train"] & keys["val"]) and not (keys["train"] & keys["test"]) and not (keys["val"] & keys["test"])
    assert sum(map(len, keys.values())) == 38


def test_params_are_parsed_by_type_and_unknown_names_refused():
    b = get_builder("Object_Localization")
    p = make_params(b, {"iou_min": "0.1", "unique_category": "false"})
    assert p.iou_min == 0.1 and p.unique_category is False
    with pytest.raises(ValueError, match="unknown parameter"):
        make_params(b, {"iou_minimum": "0.1"})
    with pytest.raises(ValueError, match="not a valid float"):
        make_params(b, {"iou_min": "low"})


@given(st.integers(1, 10_000), st.integers(1, 64))
def test_shard_quotas_sum_to_limit(limit, n):
    assert sum(Shard(k, n).quota(limit) for k in range(n)) == limit
    with pytest.raises(ValueError):
        Shard.parse(f"{n}/{n}")
    assert Shard.parse(f"{n - 1}/{n}") == Shard(n - 1, n)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 300), st.floats(0, 200), st.floats(20, 300), st.floats(20, 200), st.integers(0, 2**32))
def test_jitter_box_iou_in_range_and_inside_image(x, y, w, h, seed):
    size = (640, 480)
    box = (x, y, min(x + w, 639.0), min(y + h, 479.0))
    out = jitter_box(random.Random(seed), box, size, (0.2, 0.5), 0.6)
    if out is not None:
        assert 0.2 <= iou(out, box) <= 0.5
        assert 0 <= out[0] < out[2] <= size[0] - 1 and 0 <= out[1] < out[3] <= size[1] - 1


def test_near_duplicates_of_marked_blink_images_are_filtered(built, raw_dir, tmp_path):
    from tasktransfer.data.near_dup import NearDupIndex, load_hashes, write_split_hashes
    from tasktransfer.splits import Example, read_split, write_split

    path, full = built["Relative_Depth"]
    rows = read_split(path).slice(0, 5).to_pylist()
    # A stand-in for BLINK val: five of our marked questions, re-encoded at another size.
    blink = tmp_path / "blink.parquet"
    examples = []
    for r in rows:
        im = Image.open(BytesIO(r["images"][0]["bytes"])).convert("RGB")
        buf = BytesIO()
        im.resize((im.width * 2, im.height * 2)).save(buf, format="JPEG", quality=75)
        examples.append(Example(r["id"], r["task"], "val", [buf.getvalue()], r["question"], r["choices"],
                                r["answer"], "BLINK"))
    write_split(blink, examples)
    hashes = tmp_path / "blink.dhash.txt"
    assert write_split_hashes(blink, hashes) == 5
    out = tmp_path / "rd.parquet"
    card = build_split("Relative_Depth", fixture_root(raw_dir, "Relative_Depth"), out, progress=None,
                       near_dup=NearDupIndex(load_hashes(hashes)))
    kept = set(read_split(out, columns=["id"]).column("id").to_pylist())
    assert not kept & {r["id"] for r in rows}
    assert card.filtered["near_duplicate_of_blink_image"] >= 5
    assert card.examples == full.examples - card.filtered["near_duplicate_of_blink_image"]
