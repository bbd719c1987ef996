"""Reading JSON-lines annotation files (TARA, VSR, the generated-image manifest) record by record.

A bad line must not end the read: it comes back as a :class:`BadRecord` naming the file and
the line, so the build can skip and count it like any other bad record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from .errors import BadRecord, MissingField

T = TypeVar("T")


def read_jsonl(path: str | os.PathLike[str], parse: Callable[[dict, Path, int], T]) -> Iterator[T | BadRecord]:
    """Yield ``parse(obj, path, line_number)`` per non-empty line, or the error it raised."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        for number, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise MissingField(f"not a JSON object ({exc.msg})", file=path, record=f"line {number}") from None
                yield parse(obj, path, number)
            except BadRecord as exc:
                yield exc
