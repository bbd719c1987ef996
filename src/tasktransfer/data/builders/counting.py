"""Counting <- TallyQA: one image, "How many ...?", four integer options.

Rule ``counting_distractors`` (BLINK does not document its distractors): the three wrong
options are drawn without replacement from the non-negative integers within
``distractor_radius`` of the true count, so they are plausible counts, never negative
and never equal to the answer; the correct option's letter is balanced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord
from ..registry import Builder, Item, register_builder
from ..sources.tallyqa import TallyRecord, read_tallyqa, split_file
from ._image_ids import coco_id, content_ids


@dataclass(frozen=True)
class CountingParams:
    distractor_radius: int = field(default=3, metadata={"help": "wrong counts lie within this distance of the answer"})

    def __post_init__(self) -> None:
        if self.distractor_radius < 3:
            raise ValueError(f"`distractor_radius` is {self.distractor_radius}; must be >= 3 so an answer of 0 "
                             "still has three distinct wrong counts")


def counting_distractors(answer: int, radius: int, rng) -> list[int]:
    """Three distinct wrong counts in ``[max(0, answer - radius), answer + radius]``, random order."""
    pool = [n for n in range(max(0, answer - radius), answer + radius + 1) if n != answer]
    return rng.sample(pool, 3)


def image_source_id(rel: str) -> str:
    """``visual_genome:<id>`` or ``coco:<id>`` for a TallyQA image path."""
    if rel.startswith("VG_100K"):
        return f"visual_genome:{Path(rel).stem}"
    return coco_id(rel) or f"tallyqa:{rel}"


@register_builder
class CountingBuilder(Builder):
    task = "Counting"
    source = "TallyQA"
    splits = ("train", "test")
    Params = CountingParams
    marks_images = False

    def items(self, raw_root: Path, split: str, params: CountingParams) -> Iterator[Item | BadRecord]:
        for rec in read_tallyqa(split_file(raw_root, split)):
            if isinstance(rec, BadRecord):
                yield rec
            else:
                yield Item(key=f"q{rec.question_id}", source_ids=(image_source_id(rec.image),), data=rec)

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        rec: TallyRecord = item.data
        file = split_file(ctx.raw_root, ctx.split)
        record = f"question_id {rec.question_id}"
        data = ctx.passthrough(ctx.path(rec.image, file=file, record=record), record=record)
        ids = content_ids([data], ctx)
        wrong = counting_distractors(rec.answer, ctx.params.distractor_radius, ctx.rng("distractors"))
        choices, letter = ctx.place(str(rec.answer), [str(n) for n in wrong])
        yield ctx.example(
            "", [data], choices, letter, question=rec.question,
            meta={"count": rec.answer, "image": rec.image, "data_source": rec.data_source},
            source_ids=[*item.source_ids, *ids],
        )
