"""TallyQA reader: counting questions with integer answers over VG and COCO images.

``tallyqa.zip`` holds ``train.json`` and ``test.json``, each one JSON list of records
``{answer, data_source, image, image_id, question, question_id}`` (``issimple`` in test
only). ``image`` is relative to an image root holding ``VG_100K/``, ``VG_100K_2/``
(Visual Genome) and ``train2014/``, ``val2014/`` (COCO). Answers are counts: anything but a
non-negative integer is a bad record, reported with file and question id.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, MissingField, require

SPLIT_FILES = {"train": "train.json", "test": "test.json"}
IMAGE_DIRS = ("VG_100K", "VG_100K_2", "train2014", "val2014")


@dataclass(frozen=True)
class TallyRecord:
    """One TallyQA question; ``image`` is relative to the image root."""

    question_id: str
    question: str
    answer: int
    image: str
    image_id: str
    data_source: str
    issimple: bool | None


class NonIntegerAnswer(MissingField):
    """A TallyQA answer that is not a non-negative integer count."""

    reason = "non_integer_answer"


def parse_record(obj: object, *, file: str | os.PathLike[str], index: int) -> TallyRecord:
    """Validate one raw record; raise a :class:`BadRecord` naming file and record."""
    record = f"#{index}"
    if not isinstance(obj, dict):
        raise MissingField(f"record is {type(obj).__name__}; expected a JSON object", file=file, record=record)
    qid = obj.get("question_id")
    if qid is not None:
        record = f"#{index} (question_id {qid})"
    question = require(obj, "question", str, file=file, record=record)
    image = require(obj, "image", str, file=file, record=record)
    require(obj, "question_id", (int, str), file=file, record=record)
    answer = obj.get("answer")
    if answer is None:
        raise MissingField("missing field `answer`", file=file, record=record)
    if isinstance(answer, bool) or not isinstance(answer, int) or answer < 0:
        raise NonIntegerAnswer(
            f"field `answer` is {answer!r}; expected a non-negative integer count", file=file, record=record
        )
    issimple = obj.get("issimple")
    return TallyRecord(
        question_id=str(qid),
        question=question.strip(),
        answer=answer,
        image=image,
        image_id=str(obj.get("image_id", "")),
        data_source=str(obj.get("data_source", "")),
        issimple=bool(issimple) if issimple is not None else None,
    )


def read_tallyqa(path: str | os.PathLike[str]) -> Iterator[TallyRecord | BadRecord]:
    """Yield records of one TallyQA JSON file in file order; bad ones come back as errors.

    Yielding (not raising) the :class:`BadRecord` lets the caller count it and go on.
    The file itself must be a JSON list, else :class:`ValueError` naming it.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); expected a TallyQA list of records") from None
    if not isinstance(data, list):
        raise ValueError(f"{path}: top level is {type(data).__name__}; expected a JSON list of TallyQA records")
    for index, obj in enumerate(data):
        try:
            yield parse_record(obj, file=path, index=index)
        except BadRecord as exc:
            yield exc


def split_file(root: str | os.PathLike[str], split: str) -> Path:
    """The annotation file of ``split`` under a TallyQA root (``train`` or ``test``)."""
    try:
        return Path(root) / SPLIT_FILES[split]
    except KeyError:
        raise ValueError(f"TallyQA has no split {split!r}; expected one of {sorted(SPLIT_FILES)}") from None
