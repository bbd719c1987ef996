"""BLINK evaluation splits: the hub dataset (or a local copy of its Parquet files) ->
canonical splits, plus the source ids the training builders must exclude.

BLINK (``BLINK-Benchmark/BLINK``) has one config per task with splits ``val`` and
``test``; rows carry ``idx`` (``val_Counting_1``), ``question``, ``sub_task``,
``image_1``..``image_4`` (HF Image structs, unused ones null), ``choices``, ``answer``
(``"(A)"``; ``"hidden"`` on test), ``prompt`` (the full question text) and
``explanation``. A local copy keeps the hub's layout: ``<root>/<Task>/<split>-*.parquet``.

Each canonical row keeps ``idx`` as its id and ``prompt`` verbatim as its question.
BLINK's images carry no file names that link them to their source datasets, so the
leakage id of an image is the hash of its bytes (:func:`image_source_id`,
``"sha256:<32 hex>"``): a training image identical to a BLINK image has the same id,
whatever the datasets call their files.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow.parquet as pq

from ...atomic import write_text
from ...splits import Example, write_split
from ...tasks import LETTERS, get_task

HUB_ID = "BLINK-Benchmark/BLINK"
IMAGE_COLUMNS = ("image_1", "image_2", "image_3", "image_4")
REQUIRED_COLUMNS = ("idx", "prompt", "choices", "answer", *IMAGE_COLUMNS)
SOURCE = "BLINK"
_ANSWER = re.compile(r"\(([A-D])\)")


class BlinkFormatError(ValueError):
    """A BLINK file or row that does not have the hub's layout."""


def image_source_id(data: bytes) -> str:
    """Leakage id of an image: a content hash, equal for byte-identical copies."""
    return "sha256:" + hashlib.sha256(data).hexdigest()[:32]


def local_files(root: str | os.PathLike[str], task: str, split: str = "val") -> list[Path]:
    """The Parquet files of one task and split in a local copy of the hub layout."""
    files = sorted((Path(root) / task).glob(f"{split}-*.parquet"))
    if not files:
        raise FileNotFoundError(
            f"no BLINK files {Path(root) / task}/{split}-*.parquet; expected the hub layout <Task>/{split}-*.parquet"
        )
    return files


def _local_rows(root: Path, task: str, split: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for file in local_files(root, task, split):
        pf = pq.ParquetFile(file)
        missing = [c for c in REQUIRED_COLUMNS if c not in pf.schema_arrow.names]
        if missing:
            raise BlinkFormatError(f"{file}: missing column(s) {', '.join(missing)}; expected BLINK's "
                                   f"{', '.join(REQUIRED_COLUMNS)}")
        for batch in pf.iter_batches(batch_size=64):
            for row in batch.to_pylist():
                yield str(file), row


def _hub_rows(hub_id: str, task: str, split: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Rows from the hub (on a cluster with network or a populated HF cache)."""
    import datasets  # heavy: only when reading from the hub

    ds = datasets.load_dataset(hub_id, task, split=split)
    for col in IMAGE_COLUMNS:
        ds = ds.cast_column(col, datasets.Image(decode=False))
    where = f"{hub_id}[{task}/{split}]"
    for row in ds:
        yield where, row


def iter_rows(root: str, task: str, split: str = "val") -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, row)`` pairs from a local directory if ``root`` is one, else from the hub id."""
    get_task(task)
    if Path(root).is_dir():
        return _local_rows(Path(root), task, split)
    if "/" not in root:
        raise FileNotFoundError(f"BLINK root {root!r} is neither a directory nor a hub id like {HUB_ID!r}")
    return _hub_rows(root, task, split)


def row_to_example(row: dict[str, Any], task: str, split: str, where: str) -> Example:
    """One BLINK row as a canonical example; a :class:`BlinkFormatError` naming file and idx if malformed."""
    idx = row.get("idx")
    record = f"{where}: row {idx!r}"
    if not isinstance(idx, str) or not idx:
        raise BlinkFormatError(f"{record}: field `idx` is missing; expected e.g. '{split}_{task}_1'")
    prompt, choices, answer = row.get("prompt"), row.get("choices"), row.get("answer")
    if not isinstance(prompt, str) or not prompt:
        raise BlinkFormatError(f"{record}: field `prompt` is missing or empty")
    if not isinstance(choices, list) or not 2 <= len(choices) <= len(LETTERS) or not all(isinstance(c, str) for c in choices):
        raise BlinkFormatError(f"{record}: field `choices` is {choices!r}; expected 2 to 4 strings")
    m = _ANSWER.fullmatch(answer.strip()) if isinstance(answer, str) else None
    if m is None or LETTERS.index(m.group(1)) >= len(choices):
        raise BlinkFormatError(
            f"{record}: field `answer` is {answer!r}; expected one of "
            f"{[f'({x})' for x in LETTERS[:len(choices)]]} (test answers are hidden: use split val)"
        )
    images: list[bytes] = []
    for col in IMAGE_COLUMNS:
        img = row.get(col)
        if img is None:
            continue
        data = img.get("bytes") if isinstance(img, dict) else None
        if not data:
            raise BlinkFormatError(f"{record}: field `{col}` has no image bytes")
        images.append(data)
    expected = get_task(task).n_images
    if len(images) != expected:
        raise BlinkFormatError(f"{record}: {len(images)} image(s); BLINK {task} questions have {expected}")
    return Example(
        id=idx, task=task, split=split, images=images, question=prompt, choices=list(choices),
        answer=m.group(1), source=SOURCE, source_ids=[image_source_id(b) for b in images],
        meta={k: row.get(k) for k in ("question", "sub_task", "explanation") if row.get(k) is not None},
        image_paths=[f"{idx}/{col}" for col in IMAGE_COLUMNS[: len(images)]],
    )


def load_blink(root: str, task: str, split: str = "val") -> Iterator[Example]:
    """Canonical examples of one BLINK task, in the source's row order."""
    for where, row in iter_rows(root, task, split):
        yield row_to_example(row, task, split, where)


def write_blink(root: str, task: str, out: str | os.PathLike[str], ids_out: str | os.PathLike[str] | None = None,
                split: str = "val") -> tuple[int, list[str]]:
    """Write one task's BLINK split as a canonical Parquet file (and its source-id list).

    Returns the number of questions and the sorted, de-duplicated source ids; ``ids_out``
    (one id per line) is written only after the split succeeded, both atomically.
    """
    ids: set[str] = set()

    def stream() -> Iterable[Example]:
        for ex in load_blink(root, task, split):
            ids.update(ex.source_ids)
            yield ex

    n = write_split(out, stream())
    sorted_ids = sorted(ids)
    if ids_out is not None:
        write_text(ids_out, "".join(f"{i}\n" for i in sorted_ids))
    return n, sorted_ids
