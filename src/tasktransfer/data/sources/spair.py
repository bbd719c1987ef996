"""SPair-71k: keypoint-matched image pairs of 18 object categories.

Layout (``SPair-71k.tar.gz`` extracted)::

    <root>/JPEGImages/<category>/<image>.jpg
    <root>/ImageAnnotation/<category>/<image>.json
    <root>/PairAnnotation/{trn,val,test}/<pair>.json
    <root>/Layout/{large,small}/{trn,val,test}.txt    one pair name per line, no suffix

Pair names look like ``000001-2008_000585-2008_002221:aeroplane``. A pair JSON gives
``src_imname``/``trg_imname``, ``category``, ``src_kps``/``trg_kps`` (``[x, y]`` pixels,
matched by index), ``kps_ids`` (strings), ``*_imsize`` ``[W, H, C]`` and
``*_bndbox`` ``[x1, y1, x2, y2]``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import MissingField, require

SPLIT_DIRS = {"train": "trn", "val": "val", "test": "test"}
_PAIR_NAME = re.compile(r"^(\d+)-(.+)-(.+):([A-Za-z]+)$")


@dataclass(frozen=True)
class SpairPair:
    name: str
    category: str
    src_imname: str
    trg_imname: str
    src_kps: list[tuple[float, float]]
    trg_kps: list[tuple[float, float]]
    kps_ids: list[str]
    src_size: tuple[int, int]
    trg_size: tuple[int, int]


def pair_names(root: Path, split: str, layout: str = "large") -> list[str]:
    """Pair names of ``split`` from ``Layout/<layout>/<split>.txt`` (else the PairAnnotation folder)."""
    if split not in SPLIT_DIRS:
        raise ValueError(f"SPair-71k has splits {sorted(SPLIT_DIRS)}, not {split!r}")
    listing = root / "Layout" / layout / f"{SPLIT_DIRS[split]}.txt"
    if listing.is_file():
        return [ln.strip() for ln in listing.read_text(encoding="utf-8").splitlines() if ln.strip()]
    folder = root / "PairAnnotation" / SPLIT_DIRS[split]
    if not folder.is_dir():
        raise FileNotFoundError(f"SPair-71k: neither {listing} nor {folder} exists")
    return sorted(p.stem for p in folder.glob("*.json"))


def image_ids_from_name(name: str) -> tuple[str, str, str] | None:
    """(source image, target image, category) encoded in a pair name, or None if malformed."""
    m = _PAIR_NAME.match(name)
    return (m.group(2), m.group(3), m.group(4)) if m else None


def pair_file(root: Path, split: str, name: str) -> Path:
    return root / "PairAnnotation" / SPLIT_DIRS[split] / f"{name}.json"


def _points(value: list, key: str, path: Path, name: str) -> list[tuple[float, float]]:
    pts = []
    for k, p in enumerate(value):
        if not (isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)):
            raise MissingField(f"`{key}[{k}]` is {p!r}; expected [x, y]", file=path, record=name)
        pts.append((float(p[0]), float(p[1])))
    return pts


def read_pair(path: Path) -> SpairPair:
    """Parse one pair JSON; :class:`MissingField` names the file and field on any gap."""
    name = path.stem
    if not path.is_file():
        raise MissingField("pair annotation file not found", file=path, record=name)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingField(f"invalid JSON ({exc})", file=path, record=name) from None
    src = _points(require(doc, "src_kps", list, file=path, record=name), "src_kps", path, name)
    trg = _points(require(doc, "trg_kps", list, file=path, record=name), "trg_kps", path, name)
    ids = [str(i) for i in require(doc, "kps_ids", list, file=path, record=name)]
    if not len(src) == len(trg) == len(ids):
        raise MissingField(f"src_kps ({len(src)}), trg_kps ({len(trg)}) and kps_ids ({len(ids)}) differ in length",
                           file=path, record=name)
    sizes = []
    for key in ("src_imsize", "trg_imsize"):
        v = require(doc, key, list, file=path, record=name)
        if len(v) < 2:
            raise MissingField(f"`{key}` is {v!r}; expected [W, H, C]", file=path, record=name)
        sizes.append((int(v[0]), int(v[1])))
    return SpairPair(
        name=name, category=require(doc, "category", str, file=path, record=name),
        src_imname=require(doc, "src_imname", str, file=path, record=name),
        trg_imname=require(doc, "trg_imname", str, file=path, record=name),
        src_kps=src, trg_kps=trg, kps_ids=ids, src_size=sizes[0], trg_size=sizes[1],
    )


def read_image_annotation(path: Path) -> dict[str, tuple[float, float] | None]:
    """Keypoints of one ImageAnnotation JSON: id string -> (x, y), or None when not visible."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingField(f"invalid JSON ({exc})", file=path, record=path.stem) from None
    kps = require(doc, "kps", dict, file=path, record=path.stem)
    return {str(k): (None if v is None else (float(v[0]), float(v[1]))) for k, v in kps.items()}
