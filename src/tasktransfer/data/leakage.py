"""Leakage exclusion: drop training items whose source images are in BLINK's val/test sets.

Source ids are strings ``"<dataset>:<image id>"`` (``SPair-71k:2008_000585``,
``coco:266409``) or content hashes (``sha256:<hex>``, see
:func:`tasktransfer.data.sources.blink.image_source_id`). The exclusion list is a file
the BLINK loader writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable


def load_exclude_ids(path: str | os.PathLike[str] | None) -> frozenset[str]:
    """Source ids to exclude: a JSON list (or ``{"source_ids": [...]}``) or one id per line (``#`` comments).

    An id ``"<dataset>:<image id>"`` matches exactly; a bare id (no ``:``) matches that
    image id in any dataset.
    """
    if path is None:
        return frozenset()
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"exclude-ids file {p} not found")
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"exclude-ids file {p}: invalid JSON ({exc})") from None
        if isinstance(data, dict):
            data = data.get("source_ids")
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise ValueError(f"exclude-ids file {p}: expected a JSON list of strings or {{\"source_ids\": [...]}}")
        return frozenset(x.strip() for x in data if x.strip())
    return frozenset(s for line in text.splitlines() if (s := line.split("#", 1)[0].strip()))


def is_excluded(source_ids: Iterable[str], exclude: frozenset[str]) -> bool:
    if not exclude:
        return False
    return any(sid in exclude or sid.split(":", 1)[-1] in exclude for sid in source_ids)
