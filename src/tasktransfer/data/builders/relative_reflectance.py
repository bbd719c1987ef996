"""Relative_Reflectance from IIW: points A and B, "which point has darker surface color?".

Rules (parameters):

* ``min_darker_score``: judgements with a lower CUBAM ``darker_score`` (annotator
  agreement) are dropped; comparisons touching a non-opaque point are always dropped.
* ``per_photo``: at most this many questions per photo (IIW has ~100 judgements per
  photo; the paper's 14k examples need only a few each, and spreading them over photos
  adds variety).
* ``val_fraction``/``test_fraction``: photos are split by id (IIW has no official split).

Letter balance for three options: the balancer names the letter each question should
have; ``C`` needs an "about the same" judgement, ``A``/``B`` an unequal one with the
darker point labelled accordingly. A letter a photo cannot supply is owed to the next
photos, so the stream stays balanced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..markers import Point, draw_points
from ..registry import Builder, Item, register_builder
from ..sources.iiw import data_dir, list_photos, read_comparisons
from ..splitting import group_split

CHOICES = ["A is darker", "B is darker", "About the same"]


@dataclass(frozen=True)
class RelativeReflectanceParams:
    min_darker_score: float = 0.5
    per_photo: int = 3
    val_fraction: float = 0.05
    test_fraction: float = 0.05


@register_builder
class RelativeReflectanceBuilder(Builder):
    task = "Relative_Reflectance"
    source = "IIW"
    splits = ("train", "val", "test")
    Params = RelativeReflectanceParams

    def __init__(self) -> None:
        self._owed: list[int] = []  # letter positions earlier photos could not supply

    def items(self, raw_root: Path, split: str, params: RelativeReflectanceParams) -> Iterator[Item | BadRecord]:
        ddir = data_dir(raw_root)
        for photo in list_photos(raw_root):
            if group_split(photo, params.val_fraction, params.test_fraction, "IIW") == split:
                yield Item(photo, (f"IIW:{photo}",), (ddir / f"{photo}.json", ddir / f"{photo}.png"))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        json_path, png_path = item.data
        comps, _dropped = read_comparisons(json_path, ctx.params.min_darker_score)
        if not comps:
            raise Filtered("no_usable_comparison")
        img = ctx.load(png_path, record=f"photo {item.key}")
        rng = ctx.rng("comparisons")
        equal = [c for c in comps if c.darker == "E"]
        unequal = [c for c in comps if c.darker != "E"]
        rng.shuffle(equal)
        rng.shuffle(unequal)
        wanted = self._owed + [ctx.balancer.next_position() for _ in range(ctx.params.per_photo)]
        owed: list[int] = []
        plan = []
        for pos in wanted:
            pool = equal if pos == 2 else unequal
            if pool and len(plan) < ctx.params.per_photo:
                plan.append((pos, pool.pop()))
            else:
                owed.append(pos)
        if not plan:
            raise Filtered("no_comparison_for_wanted_letters")
        w, h = img.size
        out = []
        for pos, c in plan:
            p1 = (int(c.x1 * w), int(c.y1 * h))
            p2 = (int(c.x2 * w), int(c.y2 * h))
            # Label so the answer lands on `pos`: A = the darker point for pos 0, B for pos 1.
            if pos == 2:
                a, b = (p1, p2) if rng.random() < 0.5 else (p2, p1)
            else:
                darker, lighter = (p1, p2) if c.darker == "1" else (p2, p1)
                a, b = (darker, lighter) if pos == 0 else (lighter, darker)
            marked = draw_points(img, [Point(*a, "A"), Point(*b, "B")])
            out.append(ctx.example(
                f"c{c.comparison_id}", [ctx.encode(marked)], CHOICES, "ABC"[pos],
                meta={"point_A": list(a), "point_B": list(b), "darker": c.darker, "darker_score": c.score},
            ))
        self._owed = owed[-10:]  # only after the item succeeded; bounded if a letter is rare
        yield from out
