"""Visual_Similarity <- DreamSim NIGHTS: reference plus two distortions, which is closer?

Images go in BLINK's order, reference first; the human-preferred distortion is placed at
a balanced position among the latter two (the options are the fixed "the second image" /
"the third image"). Rule ``nights_votes``: keep triplets with at least ``min_votes``
votes (DreamSim's filter, 6 by default, which gives BLINK's ~15.9k train triplets) and a
strict majority; ties are filtered, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..prompts import TEMPLATES
from ..registry import Builder, Item, register_builder
from ..sources.nights import NightsTriplet, read_nights
from ._image_ids import content_ids


@dataclass(frozen=True)
class VisualSimilarityParams:
    min_votes: int = field(default=6, metadata={"help": "minimum number of human votes per triplet"})


@register_builder
class VisualSimilarityBuilder(Builder):
    task = "Visual_Similarity"
    source = "NIGHTS"
    splits = ("train", "val", "test")
    Params = VisualSimilarityParams
    marks_images = False

    def items(self, raw_root: Path, split: str, params: VisualSimilarityParams) -> Iterator[Item | BadRecord]:
        for rec in read_nights(Path(raw_root) / "data.csv"):
            if isinstance(rec, BadRecord):
                yield rec
            elif rec.split == split:
                yield Item(key=f"t{rec.id}", source_ids=(f"nights:{Path(rec.ref_path).with_suffix('').as_posix()}",),
                           data=rec)

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        rec: NightsTriplet = item.data
        if rec.votes < ctx.params.min_votes:
            raise Filtered("votes_below_min")
        if rec.closer is None:
            raise Filtered("tied_votes")
        file, record = Path(ctx.raw_root) / "data.csv", f"id {rec.id}"
        ref, left, right = (ctx.passthrough(ctx.path(p, file=file, record=record), record=record)
                            for p in (rec.ref_path, rec.left_path, rec.right_path))
        ids = content_ids([ref, left, right], ctx)
        closer, farther = (right, left) if rec.closer == "right" else (left, right)
        pair, letter = ctx.place(closer, [farther])
        yield ctx.example("", [ref, *pair], list(TEMPLATES[self.task].choices), letter,
                          meta={"votes": rec.votes, "closer": rec.closer, "ref_path": rec.ref_path},
                          source_ids=[*item.source_ids, *ids])
