"""Visual Spatial Reasoning (VSR) reader and the caption-to-question rewrite.

``data/splits/{random,zeroshot}/{train,dev,test}.jsonl``: one object per line with
``image`` (a COCO 2017 file name), ``image_link``, ``caption`` ("The cat is under the
motorcycle."), ``label`` (1 = the caption is true), ``relation``, ``annotator_id`` and the
validator id lists ``vote_true_validator_id``/``vote_false_validator_id`` *stored as
strings* ("[2, 10, 1]"). The random split adds ``reference_frame`` (often null), the
zeroshot split ``subj``/``obj`` (with real typos, e.g. "andbag"); neither is required.
Relations outside VSR's vocabulary are reported, never guessed.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import BadRecord, MissingField, require
from ..jsonl import read_jsonl

# VSR's relation vocabulary (65 names seen in its splits and its authors' relation
# tables). `extra_relations` of the reader admits more without editing this list.
RELATIONS: frozenset[str] = frozenset(
    """above|across|across from|adjacent to|against|ahead of|along|alongside|among|around|at|
    at the back of|at the edge of|at the left side of|at the right side of|at the side of|
    attached to|away from|behind|below|beneath|beside|between|beyond|by|close to|congruent|
    connected to|consists of|contains|detached from|down|down from|enclosed by|facing|
    facing away from|far away from|far from|has as a part|in|in front of|in the middle of|
    inside|into|left of|near|next to|off|on|on top of|opposite to|out of|outside|over|
    parallel to|part of|past|perpendicular to|right of|surrounding|touching|toward|under|
    with|within""".replace("\n", "").replace("    ", "").split("|")
)

SPLIT_KINDS = ("random", "zeroshot")
SPLIT_NAMES = ("train", "dev", "test")

# Relations written with a main verb instead of "is": caption verb -> infinitive.
_VERB_RELATIONS = {"contains": "contain", "consists of": "consist of", "has as a part": "have as a part"}


class UnknownRelation(MissingField):
    """A VSR record whose ``relation`` is not in the vocabulary."""

    reason = "unknown_relation"


class UnrewritableCaption(BadRecord):
    """A caption that does not have VSR's ``The X <relation> the Y.`` shape."""

    reason = "unrewritable_caption"


@dataclass(frozen=True)
class VsrRecord:
    """One VSR caption judgement; ``image`` is a COCO 2017 file name."""

    line: int
    image: str
    caption: str
    label: int
    relation: str
    vote_true_validator_id: tuple[int, ...]
    vote_false_validator_id: tuple[int, ...]
    subj: str | None
    obj: str | None


def _id_list(obj: dict, key: str, *, file: Path, record: str) -> tuple[int, ...]:
    """Parse a validator id list that VSR stores as a string ("[2, 10, 1]"); absent -> ()."""
    raw = obj.get(key)
    if raw is None:
        return ()
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise MissingField(f"field `{key}` is {raw!r}; expected a list of ids like \"[2, 10]\"",
                               file=file, record=record) from None
    if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
        raise MissingField(f"field `{key}` is {raw!r}; expected a list of integer ids", file=file, record=record)
    return tuple(value)


def parse_line(obj: object, *, file: Path, line: int, relations: frozenset[str] = RELATIONS) -> VsrRecord:
    """Validate one VSR object; raise a :class:`BadRecord` naming file and line."""
    record = f"line {line}"
    if not isinstance(obj, dict):
        raise MissingField(f"record is {type(obj).__name__}; expected a JSON object", file=file, record=record)
    image = require(obj, "image", str, file=file, record=record)
    record = f"line {line} (image {image})"
    caption = require(obj, "caption", str, file=file, record=record)
    label = require(obj, "label", int, file=file, record=record)
    if label not in (0, 1):
        raise MissingField(f"field `label` is {label!r}; expected 0 or 1", file=file, record=record)
    relation = require(obj, "relation", str, file=file, record=record)
    if relation not in relations:
        raise UnknownRelation(
            f"unknown VSR relation {relation!r}; expected one of the {len(relations)} VSR relations "
            f"(e.g. {', '.join(sorted(relations)[:4])}, ...); pass extra_relations to admit it",
            file=file, record=record,
        )
    return VsrRecord(
        line=line,
        image=image,
        caption=caption.strip(),
        label=label,
        relation=relation,
        vote_true_validator_id=_id_list(obj, "vote_true_validator_id", file=file, record=record),
        vote_false_validator_id=_id_list(obj, "vote_false_validator_id", file=file, record=record),
        subj=obj.get("subj"),
        obj=obj.get("obj"),
    )


def read_vsr(path: str | os.PathLike[str], extra_relations: tuple[str, ...] = ()) -> Iterator[VsrRecord | BadRecord]:
    """Yield the records of one VSR split file; bad lines come back as errors."""
    relations = RELATIONS | frozenset(extra_relations)
    return read_jsonl(path, lambda obj, file, number: parse_line(obj, file=file, line=number, relations=relations))


def split_file(root: str | os.PathLike[str], kind: str, split: str) -> Path:
    """``<root>/data/splits/<kind>/<split>.jsonl`` after checking both names."""
    if kind not in SPLIT_KINDS:
        raise ValueError(f"VSR has no split kind {kind!r}; expected one of {list(SPLIT_KINDS)}")
    if split not in SPLIT_NAMES:
        raise ValueError(f"VSR has no split {split!r}; expected one of {list(SPLIT_NAMES)}")
    return Path(root) / "data" / "splits" / kind / f"{split}.jsonl"


def caption_to_question(caption: str, relation: str, *, file: str | None = None, record: str | None = None) -> str:
    """Rewrite a VSR caption as BLINK's yes/no question (rule ``vsr_question_rewrite``).

    "The car is beneath the cat." -> "Is the car beneath the cat?"; captions whose relation
    is a verb ("contains", "consists of", "has as a part") take "Does ... <infinitive>":
    "The train contains the laptop." -> "Does the train contain the laptop?". The answer
    is then "yes" exactly when the caption is true (label 1).
    """
    text = caption.strip().rstrip(".").strip()
    verb = _VERB_RELATIONS.get(relation)
    if verb is not None:
        # Prefer the split where an article starts the object, so a subject that contains the
        # verb ("The contains contains the box") is not cut short; then any split.
        m = re.fullmatch(rf"(.+?) {re.escape(relation)} ((?:the|a|an) .+)", text, flags=re.I) or re.fullmatch(
            rf"(.+?) {re.escape(relation)} (.+)", text
        )
        if m:
            return f"Does {_lower_article(m.group(1))} {verb} {m.group(2)}?"
    else:
        m = re.fullmatch(rf"(.+?) (is|are) ({re.escape(relation)} .+)", text)
        if m:
            return f"{m.group(2).capitalize()} {_lower_article(m.group(1))} {m.group(3)}?"
    raise UnrewritableCaption(
        f"caption {caption!r} does not read 'The X is {relation} the Y.'; cannot rewrite it as a question",
        file=file, record=record,
    )


def _lower_article(subject: str) -> str:
    """Lower-case a leading article so it can follow "Is"/"Does" ("The cat" -> "the cat")."""
    head, _, rest = subject.partition(" ")
    return f"{head.lower()} {rest}" if head in ("The", "A", "An") and rest else subject
