"""Visual_Correspondence from HPatches: REF on image 1, red circles A-D on image k.

For each (sequence, k) image pair, ``points_per_pair`` reference points are drawn
uniformly at least ``border_margin`` (fraction of the shorter side) inside image 1,
kept only if the homography ``H_1_k`` maps them at least that far inside image k; the
three distractors follow rule ``far_distractors`` with ``min_distractor_dist``
(fraction of image k's diagonal). Sequences are split by name
(``val_fraction``/``test_fraction``), so no scene is shared between splits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..correspondence import inside, sample_far_points
from ..errors import BadRecord, Filtered
from ..markers import Point, draw_points
from ..registry import Builder, Item, register_builder
from ..sources.hpatches import list_sequences, read_homography, warp
from ..splitting import group_split

CHOICES = ["Point A", "Point B", "Point C", "Point D"]


@dataclass(frozen=True)
class VisualCorrespondenceParams:
    points_per_pair: int = 12  # 116 sequences x 90 % x 5 pairs x 12 ~ 6.3k >= the paper's 6k
    border_margin: float = 0.1
    min_distractor_dist: float = 0.1
    val_fraction: float = 0.05
    test_fraction: float = 0.05


@register_builder
class VisualCorrespondenceBuilder(Builder):
    task = "Visual_Correspondence"
    source = "HPatches"
    splits = ("train", "val", "test")
    Params = VisualCorrespondenceParams

    def items(self, raw_root: Path, split: str, params: VisualCorrespondenceParams) -> Iterator[Item | BadRecord]:
        for seq in list_sequences(raw_root):
            if group_split(seq, params.val_fraction, params.test_fraction, "HPatches") != split:
                continue
            for k in range(2, 7):
                yield Item(f"{seq}/1-{k}", (f"HPatches:{seq}/1", f"HPatches:{seq}/{k}"), (raw_root / seq, k))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        seq_dir, k = item.data
        record = f"pair {item.key}"
        h = read_homography(seq_dir / f"H_1_{k}", record)
        img1 = ctx.load(ctx.path(f"{seq_dir.name}/1.ppm", record=record), record=record)
        img2 = ctx.load(ctx.path(f"{seq_dir.name}/{k}.ppm", record=record), record=record)
        p = ctx.params
        m1, m2 = p.border_margin * min(img1.size), p.border_margin * min(img2.size)
        min_dist = p.min_distractor_dist * math.hypot(*img2.size)
        rng = ctx.rng("points")
        made = 0
        for j in range(p.points_per_pair):
            for _ in range(50):
                ref = (rng.uniform(m1, img1.width - m1), rng.uniform(m1, img1.height - m1))
                true = warp(h, *ref)
                if inside(true, img2.size, m2):
                    break
            else:
                continue
            distractors = sample_far_points(rng, img2.size, 3, [true], min_dist, m2)
            if distractors is None:
                continue
            options, letter = ctx.place(true, distractors)
            first = draw_points(img1, [Point(*ref, "REF")])
            second = draw_points(img2, [Point(*q, L) for q, L in zip(options, "ABCD")])
            made += 1
            yield ctx.example(
                f"p{j}", [ctx.encode(first), ctx.encode(second)], CHOICES, letter,
                meta={"ref": [round(v, 2) for v in ref], "true": [round(v, 2) for v in true],
                      "options": [[round(v, 2) for v in q] for q in options]},
            )
        if not made:
            raise Filtered("no_point_maps_inside_target")
