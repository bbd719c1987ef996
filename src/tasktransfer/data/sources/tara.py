"""TARA reader: NYT news images (jsonl) used as the picture pool for Jigsaw.

``input/{train,gold_dev,gold_test}.jsonl`` hold one object per line with ``image_url``
(plus abstract, date/location labels Jigsaw does not need). Downloaded images are named
from the URL: the ``https://static01.nyt.com/`` prefix stripped, ``/`` replaced by ``-``,
and ``.jpg`` appended when the name does not already end with it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, require
from ..jsonl import read_jsonl

SPLIT_FILES = {"train": "train.jsonl", "dev": "gold_dev.jsonl", "test": "gold_test.jsonl"}
URL_PREFIX = "https://static01.nyt.com/"


@dataclass(frozen=True)
class TaraRecord:
    """One TARA article image; ``image`` is the local file name under the image folder."""

    line: int
    image_url: str
    image: str


def image_name(url: str) -> str:
    """Local file name of a TARA image URL (the downloader's naming rule)."""
    name = url[len(URL_PREFIX):] if url.startswith(URL_PREFIX) else url.split("://", 1)[-1]
    name = name.replace("/", "-")
    return name if name.lower().endswith(".jpg") else name + ".jpg"


def read_tara(path: str | os.PathLike[str]) -> Iterator[TaraRecord | BadRecord]:
    """Yield the records of one TARA jsonl file; unparsable lines come back as errors."""

    def parse(obj: dict, file: Path, number: int) -> TaraRecord:
        url = require(obj, "image_url", str, file=file, record=f"line {number}")
        return TaraRecord(line=number, image_url=url, image=image_name(url))

    return read_jsonl(path, parse)


def split_file(root: str | os.PathLike[str], split: str) -> Path:
    """The jsonl of ``split`` (train, dev, test) under a TARA root (``input/`` inside)."""
    try:
        return Path(root) / "input" / SPLIT_FILES[split]
    except KeyError:
        raise ValueError(f"TARA has no split {split!r}; expected one of {sorted(SPLIT_FILES)}") from None
