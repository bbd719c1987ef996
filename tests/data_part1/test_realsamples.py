"""Readers against genuine files (SPair-71k, LVIS) exactly as the datasets ship them."""

from __future__ import annotations

import json
import shutil

import pytest

from tasktransfer.data.build import build_split
from tasktransfer.data.errors import BadRecord
from tasktransfer.data.fixtures._images import save_image, synthetic_image
from tasktransfer.data.sources.lvis import LvisBox, display_name, image_paths, read_lvis
from tasktransfer.data.sources.spair import image_ids_from_name, pair_names, read_image_annotation, read_pair

from .conftest import REALSAMPLES

SPAIR = REALSAMPLES / "spair71k"
LVIS = REALSAMPLES / "lvis" / "lvis_val_100.json"
PAIR = "000001-2008_000585-2008_002221:aeroplane"


def test_spair_pair_json_parses():
    pair = read_pair(SPAIR / "PairAnnotation" / "trn" / f"{PAIR}.json")
    assert (pair.src_imname, pair.trg_imname, pair.category) == ("2008_000585.jpg", "2008_002221.jpg", "aeroplane")
    assert pair.src_size == (500, 375) and len(pair.src_kps) == len(pair.trg_kps) == len(pair.kps_ids) == 10
    assert pair.src_kps[0] == (433.0, 271.0) and pair.trg_kps[0] == (378.0, 180.0)
    assert pair.kps_ids[:3] == ["0", "3", "6"]


def test_spair_layout_and_image_annotation_parse():
    names = pair_names(SPAIR, "train")
    assert names[0] == PAIR and all(image_ids_from_name(n) for n in names)
    assert image_ids_from_name(PAIR) == ("2008_000585", "2008_002221", "aeroplane")
    assert pair_names(SPAIR, "test", layout="small")[0] == "000006-2008_002719-2008_007604:aeroplane"
    kps = read_image_annotation(SPAIR / "ImageAnnotation" / "aeroplane" / "2008_004100.json")
    assert kps["0"] == (39.0, 145.0) and kps["3"] is None and len(kps) == 30


def test_spair_builder_on_real_pair(tmp_path):
    root = tmp_path / "SPair-71k"
    (root / "PairAnnotation" / "trn").mkdir(parents=True)
    shutil.copy(SPAIR / "PairAnnotation" / "trn" / f"{PAIR}.json", root / "PairAnnotation" / "trn")
    for k, name in enumerate(("2008_000585", "2008_002221")):
        save_image(synthetic_image(k, (500, 375)), root / "JPEGImages" / "aeroplane" / f"{name}.jpg")
    card = build_split("Semantic_Correspondence", root, tmp_path / "sc.parquet", progress=None)
    assert card.examples == 1 and not card.skipped


def test_lvis_sample_parses_every_annotation():
    doc = json.loads(LVIS.read_text())
    boxes = [b for b in read_lvis(LVIS)]
    assert not [b for b in boxes if isinstance(b, BadRecord)]
    assert len(boxes) == len(doc["annotations"]) == 977
    first = boxes[0]
    assert isinstance(first, LvisBox) and first.bbox == (12.08, 245.03, 32.49, 37.45)
    img = next(i for i in doc["images"] if i["id"] == 266409)
    assert image_paths(img) == ("val2017/000000266409.jpg", "val2014/COCO_val2014_000000266409.jpg")
    assert display_name("tank_top_(clothing)") == "tank top (clothing)"


@pytest.mark.parametrize("layout", ["val2017", "val2014"])
def test_lvis_builder_on_sample_finds_images_in_either_layout(tmp_path, layout):
    doc = json.loads(LVIS.read_text())
    root = tmp_path / "LVIS"
    root.mkdir()
    shutil.copy(LVIS, root / "lvis_val_100.json")
    for img in doc["images"][:12]:
        rel = [p for p in image_paths(img) if p.startswith(layout)][0]
        save_image(synthetic_image(img["id"], (img["width"] // 4, img["height"] // 4)), root / rel)
    card = build_split("Object_Localization", root, tmp_path / "ol.parquet", split="val", progress=None,
                       params={"annotation_file": "lvis_val_100.json"}, max_skip_ratio=1.0)
    assert card.examples >= 3
    assert set(card.skipped) == {"missing_file"}, "only images we did not write are missing"
