"""DreamSim NIGHTS reader: reference/distortion triplets with human 2AFC votes.

``nights/data.csv`` is read by column name (its column order is not part of the
format). Each row names ``ref_path``, ``left_path`` (``distort/xxx/yyy_0.png``) and
``right_path`` (``..._1.png``) relative to ``nights/``, the number of ``votes`` and the
vote shares ``left_vote``/``right_vote``; the closer distortion is the one with the larger
share (``right_vote`` 1 means the ``_1`` image). ``split`` is train/val/test.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, MissingField

REQUIRED_COLUMNS = ("id", "votes", "left_vote", "right_vote", "ref_path", "left_path", "right_path", "split")


@dataclass(frozen=True)
class NightsTriplet:
    """One NIGHTS triplet; paths are relative to the ``nights/`` root."""

    id: str
    ref_path: str
    left_path: str
    right_path: str
    votes: int
    left_vote: float
    right_vote: float
    split: str
    prompt: str

    @property
    def closer(self) -> str | None:
        """``"left"`` or ``"right"`` (the distortion humans found closer), None on a tie."""
        if self.right_vote > self.left_vote:
            return "right"
        if self.left_vote > self.right_vote:
            return "left"
        return None


def _number(row: dict[str, str], key: str, kind: type, *, file: Path, record: str) -> float:
    raw = (row.get(key) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise MissingField(f"column `{key}` is {raw!r}; expected a number", file=file, record=record) from None
    if kind is int:
        if not value.is_integer():
            raise MissingField(f"column `{key}` is {raw!r}; expected an integer", file=file, record=record)
        return int(value)
    return value


def parse_row(row: dict[str, str], *, file: Path, line: int) -> NightsTriplet:
    """Validate one CSV row (``line`` is its 1-based line number, header = 1)."""
    record = f"line {line}" + (f" (id {row.get('id')})" if row.get("id") else "")
    for key in ("id", "ref_path", "left_path", "right_path", "split"):
        if not (row.get(key) or "").strip():
            raise MissingField(f"missing value in column `{key}`", file=file, record=record)
    return NightsTriplet(
        id=row["id"].strip(),
        ref_path=row["ref_path"].strip(),
        left_path=row["left_path"].strip(),
        right_path=row["right_path"].strip(),
        votes=int(_number(row, "votes", int, file=file, record=record)),
        left_vote=_number(row, "left_vote", float, file=file, record=record),
        right_vote=_number(row, "right_vote", float, file=file, record=record),
        split=row["split"].strip(),
        prompt=(row.get("prompt") or "").strip(),
    )


def read_nights(csv_path: str | os.PathLike[str]) -> Iterator[NightsTriplet | BadRecord]:
    """Yield the triplets of ``data.csv`` in file order; bad rows come back as errors.

    A header lacking any required column is fatal (:class:`ValueError` listing them):
    that is a wrong file, not a bad record.
    """
    path = Path(csv_path)
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {', '.join(missing)}; expected NIGHTS data.csv columns "
                f"{', '.join(REQUIRED_COLUMNS)} (found: {', '.join(header) or 'none'})"
            )
        for row in reader:
            try:
                yield parse_row(row, file=path, line=reader.line_num)
            except BadRecord as exc:
                yield exc
