"""The canonical multiple-choice split format: one Parquet file per (task, split).

This is the contract between data builders (raw datasets -> questions), training and
evaluation. Columns:

=============  =========================================  =====================================
column         type                                       meaning
=============  =========================================  =====================================
id             string                                     stable, unique within the split
task           string                                     task name (e.g. ``Relative_Depth``)
split          string                                     ``train``, ``val``, ...
images         list<struct<bytes: binary, path: string>>  encoded images, in prompt order
question       string                                     full prompt, options included
choices        list<string>                               option texts, without letters
answer         string                                     gold letter, ``A``..``D``
source         string                                     source dataset name
source_ids     list<string>                               source image ids (leakage checks)
meta           string                                     JSON object with builder details
=============  =========================================  =====================================

The Hugging Face feature description is embedded in the Parquet schema metadata, so
``datasets.load_dataset("parquet", ...)`` decodes ``images`` as ``List(Image())``.
Writers are streaming (row groups) and atomic; readers validate the schema.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import atomic_path
from .tasks import LETTERS

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task", pa.string()),
        ("split", pa.string()),
        ("images", pa.list_(IMAGE_TYPE)),
        ("question", pa.string()),
        ("choices", pa.list_(pa.string())),
        ("answer", pa.string()),
        ("source", pa.string()),
        ("source_ids", pa.list_(pa.string())),
        ("meta", pa.string()),
    ]
)

_HF_FEATURES = {
    "id": {"dtype": "string", "_type": "Value"},
    "task": {"dtype": "string", "_type": "Value"},
    "split": {"dtype": "string", "_type": "Value"},
    "images": {"feature": {"_type": "Image"}, "_type": "List"},
    "question": {"dtype": "string", "_type": "Value"},
    "choices": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    "answer": {"dtype": "string", "_type": "Value"},
    "source": {"dtype": "string", "_type": "Value"},
    "source_ids": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    "meta": {"dtype": "string", "_type": "Value"},
}
SCHEMA = SCHEMA.with_metadata(
    {b"huggingface": json.dumps({"info": {"features": _HF_FEATURES}}, sort_keys=True).encode()}
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


class SplitFormatError(ValueError):
    """A split file or record does not follow the canonical format."""


@dataclass
class Example:
    """One multiple-choice question, as a builder produces it."""

    id: str
    task: str
    split: str
    images: list[bytes]
    question: str
    choices: list[str]
    answer: str
    source: str
    source_ids: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    image_paths: list[str] | None = None

    def validate(self) -> None:
        where = f"example {self.id!r} of task {self.task!r}"
        if not self.id:
            raise SplitFormatError(f"{where}: `id` must be a non-empty string")
        if not 2 <= len(self.choices) <= len(LETTERS):
            raise SplitFormatError(
                f"{where}: `choices` has {len(self.choices)} entries; expected 2 to {len(LETTERS)}"
            )
        valid = LETTERS[: len(self.choices)]
        if self.answer not in valid:
            raise SplitFormatError(f"{where}: `answer` is {self.answer!r}; expected one of {list(valid)}")
        if not self.images:
            raise SplitFormatError(f"{where}: `images` is empty; expected at least one encoded image")
        for k, img in enumerate(self.images):
            if not isinstance(img, (bytes, bytearray)) or not img:
                raise SplitFormatError(f"{where}: `images[{k}]` is not non-empty encoded image bytes")
        if self.image_paths is not None and len(self.image_paths) != len(self.images):
            raise SplitFormatError(f"{where}: `image_paths` and `images` differ in length")
        if not self.question:
            raise SplitFormatError(f"{where}: `question` is empty")

    def to_row(self) -> dict[str, Any]:
        paths = self.image_paths or [f"{self.id}_{k}" for k in range(len(self.images))]
        return {
            "id": self.id,
            "task": self.task,
            "split": self.split,
            "images": [{"bytes": bytes(b), "path": p} for b, p in zip(self.images, paths)],
            "question": self.question,
            "choices": list(self.choices),
            "answer": self.answer,
            "source": self.source,
            "source_ids": list(self.source_ids),
            "meta": json.dumps(self.meta, sort_keys=True, ensure_ascii=False),
        }


class SplitWriter:
    """Stream examples into a Parquet split; the file appears only on :meth:`close`.

    Use as a context manager. Rows are buffered into row groups of ``rows_per_group``
    so memory stays bounded however large the split. Duplicate ids are refused.
    """

    def __init__(self, path: str | os.PathLike[str], rows_per_group: int = 256) -> None:
        self.path = Path(path)
        self.rows_per_group = rows_per_group
        self._buffer: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        self._ctx = atomic_path(self.path)
        self._tmp = self._ctx.__enter__()
        self._writer = pq.ParquetWriter(self._tmp, SCHEMA, compression="zstd")
        self.count = 0

    def write(self, example: Example) -> None:
        example.validate()
        if example.id in self._ids:
            raise SplitFormatError(f"duplicate id {example.id!r} in {self.path}")
        self._ids.add(example.id)
        self._buffer.append(example.to_row())
        self.count += 1
        if len(self._buffer) >= self.rows_per_group:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=SCHEMA))
            self._buffer = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
        self._ctx.__exit__(None, None, None)

    def abort(self, exc: BaseException) -> None:
        self._writer.close()
        self._ctx.__exit__(type(exc), exc, exc.__traceback__)

    def __enter__(self) -> "SplitWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def write_split(path: str | os.PathLike[str], examples: Iterable[Example], rows_per_group: int = 256) -> int:
    """Write ``examples`` to ``path`` atomically; return the number written."""
    with SplitWriter(path, rows_per_group=rows_per_group) as writer:
        for ex in examples:
            writer.write(ex)
    return writer.count


def check_schema(schema: pa.Schema, path: str | os.PathLike[str]) -> None:
    """Raise :class:`SplitFormatError` naming each missing or mistyped column."""
    problems = []
    for name in COLUMNS:
        if name not in schema.names:
            problems.append(f"missing column `{name}`")
        elif not schema.field(name).type.equals(SCHEMA.field(name).type):
            problems.append(
                f"column `{name}` has type {schema.field(name).type}; expected {SCHEMA.field(name).type}"
            )
    if problems:
        raise SplitFormatError(f"{path}: not a canonical split: " + "; ".join(problems))


def read_split(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> pa.Table:
    """Read a split (optionally only some columns) after checking its schema."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"split file {path} does not exist")
    check_schema(pq.read_schema(path), path)
    return pq.read_table(path, columns=list(columns) if columns else None)


def iter_split(path: str | os.PathLike[str], batch_size: int = 256) -> Iterator[dict[str, Any]]:
    """Stream rows of a split as dicts (images as a list of bytes) without loading it all."""
    path = Path(path)
    pf = pq.ParquetFile(path)
    check_schema(pf.schema_arrow, path)
    for batch in pf.iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            row["images"] = [img["bytes"] for img in row["images"]]
            row["meta"] = json.loads(row["meta"]) if row["meta"] else {}
            yield row
