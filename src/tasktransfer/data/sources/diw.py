"""Depth in the Wild (DIW) annotations: two-line CSV records with 1-based pixel points.

Layout (as extracted from the official archives)::

    <root>/DIW_train_val/<sha1>.thumb          JPEG images (train and val)
    <root>/DIW_test/<sha1>.thumb               JPEG images (test)
    <root>/DIW_Annotations/DIW_{train,val,test}.csv   (or directly under <root>)

Each record is two CSV lines without header: the image path (``./DIW_test/...``,
relative to ``<root>``), then ``y_A,x_A,y_B,x_B,rel,width,height`` with 1-based pixel
coordinates and ``rel`` ``'>'`` (A is farther) or ``'<'`` (A is closer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, MissingField

SPLIT_FILES = {"train": "DIW_train.csv", "val": "DIW_val.csv", "test": "DIW_test.csv"}
ANNOTATION_DIRS = ("DIW_Annotations", "DIW_Annotations_splitted", ".")


@dataclass(frozen=True)
class DiwRecord:
    """One judged point pair; coordinates converted to 0-based pixels (x right, y down)."""

    csv: str
    index: int  # 0-based record number in the CSV
    image: str  # path as written in the CSV
    xa: float
    ya: float
    xb: float
    yb: float
    a_closer: bool
    width: int
    height: int

    @property
    def image_id(self) -> str:
        return Path(self.image).stem


def annotation_file(root: Path, split: str) -> Path:
    """The CSV of ``split`` under ``root`` (several official extraction layouts accepted)."""
    if split not in SPLIT_FILES:
        raise ValueError(f"DIW has splits {sorted(SPLIT_FILES)}, not {split!r}")
    for d in ANNOTATION_DIRS:
        p = root / d / SPLIT_FILES[split]
        if p.is_file():
            return p
    raise FileNotFoundError(f"DIW annotation file {SPLIT_FILES[split]} not found under {root} "
                            f"(looked in {', '.join(ANNOTATION_DIRS)})")


def read_diw(root: Path, split: str) -> Iterator[DiwRecord | BadRecord]:
    """Yield the records of ``split`` in file order; a malformed record is yielded as a ``BadRecord``."""
    path = annotation_file(root, split)
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) % 2:
        lines.append("")  # last record lacks its coordinate line: reported below
    for index in range(len(lines) // 2):
        image, coords = lines[2 * index].strip(), lines[2 * index + 1].strip()
        record = f"{index} (lines {2 * index + 1}-{2 * index + 2})"
        fields = [f.strip() for f in coords.split(",")] if coords else []
        if not image or len(fields) != 7:
            yield MissingField(f"expected an image line and 'y_A,x_A,y_B,x_B,rel,width,height', got {image!r} / "
                               f"{coords!r}", file=path, record=record)
            continue
        try:
            ya, xa, yb, xb, w, h = (int(float(fields[k])) for k in (0, 1, 2, 3, 5, 6))
        except ValueError:
            yield MissingField(f"non-numeric coordinate or size in {coords!r}", file=path, record=record)
            continue
        rel = fields[4]
        if rel not in (">", "<"):
            yield MissingField(f"relation is {rel!r}; expected '>' or '<'", file=path, record=record)
            continue
        yield DiwRecord(str(path), index, image, xa - 1, ya - 1, xb - 1, yb - 1, rel == "<", w, h)
