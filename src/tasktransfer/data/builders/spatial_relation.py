"""Spatial_Relation <- VSR: one image, the caption asked as a yes/no question.

Rule ``vsr_question_rewrite`` (:func:`~tasktransfer.data.sources.vsr.caption_to_question`):
"The X is REL the Y." becomes "Is the X REL the Y?" ("Does the X contain ...?" for the
verb relations); label 1 -> "yes". Options stay in BLINK's fixed order (A) yes (B) no, so
balance comes from the labels: rule ``vsr_label_balance`` (``balance_labels``, default on)
keeps all records of the minority label and as many of the majority label, chosen by a
hash of the line key and ``balance_salt``; the dropped ones are counted as filtered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..prompts import TEMPLATES
from ..registry import Builder, Item, register_builder
from ..sources.vsr import VsrRecord, caption_to_question, read_vsr, split_file
from ._image_ids import coco_id, content_ids


@dataclass(frozen=True)
class SpatialRelationParams:
    split_kind: str = field(default="random", metadata={"help": "VSR split family: random or zeroshot"})
    image_dir: str = field(default="data/images", metadata={"help": "folder of the COCO images, under the root"})
    balance_labels: bool = field(default=True, metadata={"help": "drop majority-label records down to 50/50"})
    balance_salt: int = field(default=0, metadata={"help": "changes which majority-label records are kept"})
    extra_relations: tuple[str, ...] = field(default=(), metadata={"help": "relations to admit beyond VSR's 65"})

    def __post_init__(self) -> None:
        if self.split_kind not in ("random", "zeroshot"):
            raise ValueError(f"`split_kind` is {self.split_kind!r}; expected 'random' or 'zeroshot'")


@register_builder
class SpatialRelationBuilder(Builder):
    task = "Spatial_Relation"
    source = "VSR"
    splits = ("train", "dev", "test")
    Params = SpatialRelationParams
    marks_images = False

    def items(self, raw_root: Path, split: str, params: SpatialRelationParams) -> Iterator[Item | BadRecord]:
        path = split_file(raw_root, params.split_kind, split)
        records = list(read_vsr(path, params.extra_relations))
        good = [r for r in records if not isinstance(r, BadRecord)]
        dropped: set[int] = set()
        if params.balance_labels:
            by_label = {lab: [r for r in good if r.label == lab] for lab in (0, 1)}
            minority = min(len(v) for v in by_label.values())
            for group in by_label.values():
                ranked = sorted(group, key=lambda r: hashlib.sha256(f"{params.balance_salt}:{r.line}".encode()).digest())
                dropped.update(r.line for r in ranked[minority:])
        for rec in records:
            if isinstance(rec, BadRecord):
                yield rec
            else:
                sid = coco_id(rec.image) or f"vsr:{rec.image}"
                yield Item(key=f"l{rec.line}", source_ids=(sid,), data=(rec, rec.line in dropped, str(path)))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        rec, dropped, file = item.data
        rec: VsrRecord
        record = f"line {rec.line} (image {rec.image})"
        question = caption_to_question(rec.caption, rec.relation, file=file, record=record)
        rel = f"{ctx.params.image_dir.rstrip('/')}/{rec.image}"
        path = ctx.path(rel, file=file, record=record)  # refuse escapes even for dropped records
        if dropped:
            raise Filtered("label_balance")
        data = ctx.passthrough(path, record=record)
        ids = content_ids([data], ctx)
        letter = "A" if rec.label == 1 else "B"
        yield ctx.example("", [data], list(TEMPLATES[self.task].choices), letter, question=question,
                          meta={"caption": rec.caption, "relation": rec.relation, "label": rec.label},
                          source_ids=[*item.source_ids, *ids])
