"""FunKPoint: functional keypoints of objects per action (available from its authors on request).

Layout::

    <root>/labels.csv
    <root>/images/<wnid>/<file>.jpg

``labels.csv`` has one row per (image, action) with columns ``p1_x, p1_y .. p5_x, p5_y``
(keypoints normalised to [0, 1]; a blank, NaN or negative value means the keypoint is
absent), ``difficulty``, ``image_path``, ``action``, ``wnid`` and ``object_category``.
Columns are read by name. ``image_path`` is taken relative to ``<root>`` or, failing
that, to ``<root>/images``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, DataError, MissingField

N_KPS = 5
KP_COLUMNS = tuple(f"p{i}_{a}" for i in range(1, N_KPS + 1) for a in "xy")
REQUIRED = (*KP_COLUMNS, "image_path", "action", "wnid", "object_category")
ACTIONS = ("Brush/Dust", "Flip", "Lift Something", "Mash/Pound", "Mix", "Poke", "Pour", "Pull out a nail", "Scoop",
           "Scrape")


@dataclass(frozen=True)
class FunkRow:
    row: int  # 1-based data row number (header is row 0)
    image_path: str
    action: str
    wnid: str
    category: str
    kps: tuple[tuple[float, float] | None, ...]  # normalised (x, y) per keypoint, None if absent

    @property
    def image_id(self) -> str:
        return Path(self.image_path).with_suffix("").as_posix()


def labels_file(root: Path) -> Path:
    p = root / "labels.csv"
    if not p.is_file():
        raise FileNotFoundError(f"FunKPoint labels file {p} not found (the dataset is available from its authors; "
                                "see docs/data.md)")
    return p


def _coord(text: str) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and 0.0 <= v <= 1.0 else None


def read_labels(path: Path) -> Iterator[FunkRow | BadRecord]:
    """Yield rows in file order; a row without image_path/action is yielded as a ``BadRecord``."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: header lacks column(s) {missing}; expected {list(REQUIRED)}")
        for n, row in enumerate(reader, 1):
            rec = f"row {n}"
            empty = [c for c in ("image_path", "action", "wnid", "object_category") if not (row.get(c) or "").strip()]
            if empty:
                yield MissingField(f"empty field(s) {empty}", file=path, record=rec)
                continue
            kps = []
            for i in range(1, N_KPS + 1):
                x, y = _coord(row.get(f"p{i}_x", "")), _coord(row.get(f"p{i}_y", ""))
                kps.append((x, y) if x is not None and y is not None else None)
            yield FunkRow(n, row["image_path"].strip(), row["action"].strip(), row["wnid"].strip(),
                          row["object_category"].strip(), tuple(kps))
