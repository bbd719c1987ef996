"""Semantic_Correspondence from SPair-71k: REF on the source object, A-D on the target.

The reference is one annotated source keypoint; the correct option is the same
keypoint (same ``kps_ids`` entry) on the target; distractors are other annotated
target keypoints (BLINK's rule), picked so all four circles are at least
``min_distractor_dist`` (fraction of the target's diagonal) apart. Pairs with fewer
than four keypoints are filtered. SPair's official split is kept (``trn`` for train);
BLINK's val questions come from SPair, so build train from ``trn`` only and pass the
BLINK exclusion list.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..correspondence import pick_far_candidates
from ..errors import BadRecord, Filtered, MissingField
from ..markers import Point, draw_points
from ..registry import Builder, Item, register_builder
from ..sources.spair import image_ids_from_name, pair_file, pair_names, read_pair

CHOICES = ["Point A", "Point B", "Point C", "Point D"]


@dataclass(frozen=True)
class SemanticCorrespondenceParams:
    examples_per_pair: int = 1
    min_distractor_dist: float = 0.03
    layout: str = "large"


def _scale(pts: list[tuple[float, float]], stated: tuple[int, int], actual: tuple[int, int]) -> list[tuple[float, float]]:
    sx, sy = actual[0] / stated[0], actual[1] / stated[1]
    return [(x * sx, y * sy) for x, y in pts]


@register_builder
class SemanticCorrespondenceBuilder(Builder):
    task = "Semantic_Correspondence"
    source = "SPair-71k"
    splits = ("train", "val", "test")
    Params = SemanticCorrespondenceParams

    def items(self, raw_root: Path, split: str, params: SemanticCorrespondenceParams) -> Iterator[Item | BadRecord]:
        for name in pair_names(raw_root, split, params.layout):
            ids = image_ids_from_name(name)
            if ids is None:
                yield MissingField("pair name is not <n>-<src>-<trg>:<category>", file=pair_file(raw_root, split, name),
                                   record=name)
                continue
            yield Item(name, (f"SPair-71k:{ids[0]}", f"SPair-71k:{ids[1]}"), pair_file(raw_root, split, name))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        pair = read_pair(item.data)
        if len(pair.kps_ids) < 4:
            raise Filtered("fewer_than_4_keypoints")
        rec = f"pair {pair.name}"
        src_img = ctx.load(ctx.path(f"JPEGImages/{pair.category}/{pair.src_imname}", file=item.data, record=rec),
                           record=rec)
        trg_img = ctx.load(ctx.path(f"JPEGImages/{pair.category}/{pair.trg_imname}", file=item.data, record=rec),
                           record=rec)
        src = _scale(pair.src_kps, pair.src_size, src_img.size)
        trg = _scale(pair.trg_kps, pair.trg_size, trg_img.size)
        min_dist = ctx.params.min_distractor_dist * math.hypot(*trg_img.size)
        rng = ctx.rng("keypoints")
        refs = list(range(len(src)))
        rng.shuffle(refs)
        made = 0
        for i in refs:
            if made == ctx.params.examples_per_pair:
                break
            others = [j for j in range(len(trg)) if j != i]
            picked = pick_far_candidates(rng, [trg[j] for j in others], 3, [trg[i]], min_dist)
            if picked is None:
                continue
            distractors = [others[j] for j in picked]
            options, letter = ctx.place(i, distractors)
            first = draw_points(src_img, [Point(*src[i], "REF")])
            second = draw_points(trg_img, [Point(*trg[j], L) for j, L in zip(options, "ABCD")])
            made += 1
            yield ctx.example(
                f"k{pair.kps_ids[i]}", [ctx.encode(first), ctx.encode(second)], CHOICES, letter,
                meta={"category": pair.category, "ref_kp": pair.kps_ids[i],
                      "option_kps": [pair.kps_ids[j] for j in options]},
            )
        if not made:
            raise Filtered("no_separated_distractors")
