"""Intrinsic Images in the Wild (IIW): one JSON of judgements per photo.

Layout (``iiw-dataset-release-0.zip`` extracted)::

    <root>/data/<photo_id>.png
    <root>/data/<photo_id>.json

The JSON has ``intrinsic_points`` (``id``, ``x``/``y`` as fractions of width/height,
``opaque``) and ``intrinsic_comparisons`` (``point1``, ``point2``, ``darker`` in
``'1'``/``'2'``/``'E'``, ``darker_score``; SAW-style files add ``compare_what``, where
only ``'R'`` judges reflectance). The pixel of a point is ``(int(y*H), int(x*W))``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import MissingField, require

DARKER = ("1", "2", "E")


@dataclass(frozen=True)
class IiwComparison:
    """A usable reflectance judgement between two opaque points (fractions of width/height)."""

    comparison_id: int
    x1: float
    y1: float
    x2: float
    y2: float
    darker: str  # '1', '2' or 'E'
    score: float


def data_dir(root: Path) -> Path:
    d = root / "data"
    if not d.is_dir():
        raise FileNotFoundError(f"IIW data directory {d} not found (expected <root>/data/<photo_id>.json and .png)")
    return d


def list_photos(root: Path) -> list[str]:
    """Photo ids (JSON stems), sorted numerically where possible."""
    stems = [p.stem for p in data_dir(root).glob("*.json")]
    return sorted(stems, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s))


def read_comparisons(path: Path, min_score: float) -> tuple[list[IiwComparison], dict[str, int]]:
    """Usable comparisons of one photo JSON, and counts of those dropped by rule.

    Raises :class:`MissingField` (naming the file and the point/comparison) when a
    required field is absent.
    """
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MissingField(f"invalid JSON ({exc})", file=path, record="<file>") from None
    points_raw = require(doc, "intrinsic_points", list, file=path, record="<file>")
    comps_raw = require(doc, "intrinsic_comparisons", list, file=path, record="<file>")
    points: dict[int, tuple[float, float, bool]] = {}
    for k, p in enumerate(points_raw):
        rec = f"intrinsic_points[{k}]"
        pid = require(p, "id", int, file=path, record=rec)
        x = float(require(p, "x", (int, float), file=path, record=rec))
        y = float(require(p, "y", (int, float), file=path, record=rec))
        points[pid] = (x, y, bool(p.get("opaque", False)))
    usable: list[IiwComparison] = []
    dropped = {"not_reflectance": 0, "non_opaque_point": 0, "low_darker_score": 0}
    for k, c in enumerate(comps_raw):
        rec = f"intrinsic_comparisons[{k}]"
        if c.get("compare_what", "R") != "R":
            dropped["not_reflectance"] += 1
            continue
        p1 = require(c, "point1", int, file=path, record=rec)
        p2 = require(c, "point2", int, file=path, record=rec)
        darker = require(c, "darker", str, file=path, record=rec)
        if darker not in DARKER:
            raise MissingField(f"`darker` is {darker!r}; expected one of {DARKER}", file=path, record=rec)
        score = float(require(c, "darker_score", (int, float), file=path, record=rec))
        if p1 not in points or p2 not in points:
            raise MissingField(f"point {p1 if p1 not in points else p2} not in intrinsic_points", file=path, record=rec)
        (x1, y1, o1), (x2, y2, o2) = points[p1], points[p2]
        if not (o1 and o2):
            dropped["non_opaque_point"] += 1
            continue
        if score < min_score:
            dropped["low_darker_score"] += 1
            continue
        usable.append(IiwComparison(int(c.get("id", k)), x1, y1, x2, y2, darker, score))
    return usable, dropped
