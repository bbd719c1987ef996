"""LVIS annotations (COCO-style JSON) over COCO images, v1 and v0.5 alike.

Files: ``lvis_v1_{train,val}.json`` (v1: images carry ``coco_url``; the image lives at
the URL's last two segments, e.g. ``val2017/000000266409.jpg``) or
``lvis_v0.5_{train,val}.json`` (``file_name`` such as ``COCO_val2014_000000266409.jpg``,
found in ``val2014/``). ``images`` entries: ``id``, ``height``, ``width``,
``neg_category_ids``, ``not_exhaustive_category_ids``; ``annotations``: ``id``,
``image_id``, ``category_id``, ``bbox`` ``[x, y, w, h]`` pixels, ``area``,
``segmentation``; ``categories``: ``id``, ``name`` (``tank_top_(clothing)``),
``synonyms``, ``synset``, ``frequency``.

Segmentations are dropped while parsing (``object_hook``), so peak memory is the raw
text plus the compact records, not the full polygon tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, DataError, MissingField

ANNOTATION_NAMES = ("lvis_v1_{split}.json", "annotations/lvis_v1_{split}.json", "lvis_v0.5_{split}.json",
                    "annotations/lvis_v0.5_{split}.json")
_V05_NAME = re.compile(r"^COCO_([a-z]+\d{4})_\d+\.\w+$")


@dataclass(frozen=True)
class LvisImage:
    id: int
    width: int
    height: int
    paths: tuple[str, ...]  # candidate paths relative to the root, most specific first


@dataclass(frozen=True)
class LvisBox:
    ann_id: int
    image: LvisImage
    category: str  # display name: underscores as spaces
    bbox: tuple[float, float, float, float]  # x, y, w, h


def annotation_file(root: Path, split: str) -> Path:
    for pattern in ANNOTATION_NAMES:
        p = root / pattern.format(split=split)
        if p.is_file():
            return p
    raise FileNotFoundError(f"no LVIS annotation file for split {split!r} under {root} (looked for "
                            + ", ".join(n.format(split=split) for n in ANNOTATION_NAMES) + ")")


def display_name(name: str) -> str:
    """LVIS category name as BLINK writes it: ``tank_top_(clothing)`` -> ``tank top (clothing)``."""
    return name.replace("_", " ")


def image_paths(img: dict) -> tuple[str, ...]:
    """Candidate relative paths of an LVIS image: from ``coco_url`` (v1), then ``file_name`` (v0.5)."""
    out = []
    url = img.get("coco_url")
    if isinstance(url, str) and url.count("/") >= 2:
        out.append("/".join(url.rstrip("/").split("/")[-2:]))
    name = img.get("file_name")
    if isinstance(name, str) and name:
        m = _V05_NAME.match(Path(name).name)
        out.append(f"{m.group(1)}/{name}" if m and "/" not in name else name)
    return tuple(out)


def _drop_segmentation(d: dict) -> dict:
    d.pop("segmentation", None)
    return d


def read_lvis(path: Path) -> Iterator[LvisBox | BadRecord]:
    """Yield every annotation as an :class:`LvisBox`; bad annotations/images as ``BadRecord``."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh, object_hook=_drop_segmentation)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: invalid JSON ({exc})") from None
    for key in ("images", "annotations", "categories"):
        if not isinstance(doc.get(key), list):
            raise DataError(f"{path}: missing top-level list `{key}`; not an LVIS annotation file")
    cats = {}
    for c in doc["categories"]:
        if isinstance(c, dict) and isinstance(c.get("id"), int) and isinstance(c.get("name"), str):
            cats[c["id"]] = display_name(c["name"])
    images: dict[int, LvisImage | BadRecord] = {}
    for k, img in enumerate(doc["images"]):
        rec = f"images[{k}] (id {img.get('id')})" if isinstance(img, dict) else f"images[{k}]"
        bad = [f for f in ("id", "width", "height") if not isinstance(img, dict) or not isinstance(img.get(f), int)]
        paths = image_paths(img) if isinstance(img, dict) else ()
        if bad or not paths:
            if isinstance(img, dict) and isinstance(img.get("id"), int):
                images[img["id"]] = MissingField(f"missing field(s) {bad or ['coco_url/file_name']}", file=path,
                                                 record=rec)
            else:
                yield MissingField(f"missing field(s) {bad}", file=path, record=rec)
            continue
        images[img["id"]] = LvisImage(img["id"], img["width"], img["height"], paths)
    for k, ann in enumerate(doc["annotations"]):
        rec = f"annotations[{k}] (id {ann.get('id') if isinstance(ann, dict) else '?'})"
        if not isinstance(ann, dict):
            yield MissingField("annotation is not an object", file=path, record=rec)
            continue
        missing = [f for f in ("id", "image_id", "category_id", "bbox") if f not in ann]
        if missing:
            yield MissingField(f"missing field(s) {missing}", file=path, record=rec)
            continue
        bbox = ann["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            yield MissingField(f"`bbox` is {bbox!r}; expected [x, y, w, h]", file=path, record=rec)
            continue
        img = images.get(ann["image_id"])
        if img is None:
            yield MissingField(f"image_id {ann['image_id']} not in `images`", file=path, record=rec)
            continue
        if isinstance(img, BadRecord):
            yield img
            continue
        if ann["category_id"] not in cats:
            yield MissingField(f"category_id {ann['category_id']} not in `categories`", file=path, record=rec)
            continue
        yield LvisBox(ann["id"], img, cats[ann["category_id"]], tuple(float(v) for v in bbox))
