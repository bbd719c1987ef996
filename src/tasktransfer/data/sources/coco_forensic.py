"""COCO captions + generated images: the raw material of Forensic Detection.

Real photographs: ``annotations/captions_{train,val}2017.json`` (``images`` with ``id`` and
``file_name``, ``annotations`` with ``image_id`` and ``caption``) and the images under
``{train,val}2017/``. Generated images live in a folder with a manifest,
``generated/manifest.jsonl``, one object per generated file:
``{"file": "<path under generated/>", "image_id": <COCO id>, "caption": "...", "generator": "..."}``.
Producing them (e.g. SDXL from each image's first caption) is a separate, documented step.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, require
from ..jsonl import read_jsonl

COCO_SPLITS = ("train2017", "val2017")


@dataclass(frozen=True)
class CocoImage:
    """A real COCO photograph with its captions; ``file`` relative to the COCO root."""

    image_id: int
    file: str
    captions: tuple[str, ...]


@dataclass(frozen=True)
class GeneratedImage:
    """One generated image; ``file`` relative to the generated folder."""

    line: int
    file: str
    image_id: int
    caption: str
    generator: str


def read_coco_captions(path: str | os.PathLike[str], image_dir: str) -> Iterator[CocoImage | BadRecord]:
    """Yield COCO images (sorted by id) with their captions; bad entries come back as errors."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); expected a COCO captions file") from None
    for key in ("images", "annotations"):
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise ValueError(f"{path}: no `{key}` list; expected a COCO captions file with images and annotations")
    captions: dict[int, list[str]] = {}
    for k, ann in enumerate(data["annotations"]):
        if isinstance(ann, dict) and isinstance(ann.get("image_id"), int) and isinstance(ann.get("caption"), str):
            captions.setdefault(ann["image_id"], []).append(ann["caption"].strip())
    images: list[CocoImage | BadRecord] = []
    for k, img in enumerate(data["images"]):
        record = f"images[{k}]"
        try:
            image_id = require(img, "id", int, file=path, record=record)
            record = f"images[{k}] (id {image_id})"
            file_name = require(img, "file_name", str, file=path, record=record)
            images.append(CocoImage(image_id, f"{image_dir}/{file_name}", tuple(captions.get(image_id, ()))))
        except BadRecord as exc:
            images.append(exc)
    yield from sorted(images, key=lambda r: (isinstance(r, BadRecord), getattr(r, "image_id", 0)))


def read_manifest(path: str | os.PathLike[str]) -> Iterator[GeneratedImage | BadRecord]:
    """Yield the generated-image manifest's entries; bad lines come back as errors."""

    def parse(obj: dict, file: Path, number: int) -> GeneratedImage:
        record = f"line {number}"
        return GeneratedImage(
            line=number,
            file=require(obj, "file", str, file=file, record=record),
            image_id=require(obj, "image_id", int, file=file, record=record),
            caption=str(obj.get("caption", "")),
            generator=str(obj.get("generator", "")),
        )

    return read_jsonl(path, parse)