"""Functional_Correspondence from FunKPoint: REF on object 1, A-D on object 2, same action.

Each labels row (an image under one action) is paired with ``pairs_per_row`` partner
rows of the same action (rule ``cross_category``: partners of a different object
category when any exist, as BLINK pairs different objects). For each pair a keypoint
index annotated on both is the reference; the correct option is that keypoint on the
partner, the distractors are the partner's other keypoints (rule ``far_distractors``,
``min_distractor_dist`` of the diagonal). The action is named in the prompt.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..correspondence import pick_far_candidates
from ..errors import BadRecord, Filtered, MissingFile, UnsafePath
from ..markers import Point, draw_points
from ..registry import Builder, Item, register_builder
from ..sources.funkpoint import FunkRow, labels_file, read_labels
from ..splitting import group_split

CHOICES = ["Point A", "Point B", "Point C", "Point D"]


@dataclass(frozen=True)
class FunctionalCorrespondenceParams:
    pairs_per_row: int = 60  # enough rows x partners for the paper's 100k; --limit trims
    cross_category: bool = True
    min_distractor_dist: float = 0.03
    val_fraction: float = 0.05
    test_fraction: float = 0.05


def _image(ctx: BuildContext, row: FunkRow, file: Path):
    rec = f"row {row.row} ({row.image_path})"
    try:
        path = ctx.path(row.image_path, file=file, record=rec)
    except MissingFile:
        try:
            path = ctx.path(f"images/{row.image_path}", file=file, record=rec)
        except UnsafePath:
            raise UnsafePath(f"image path {row.image_path!r} escapes the dataset root", file=file, record=rec) from None
    return ctx.load(path, record=rec)


@register_builder
class FunctionalCorrespondenceBuilder(Builder):
    task = "Functional_Correspondence"
    source = "FunKPoint"
    splits = ("train", "val", "test")
    Params = FunctionalCorrespondenceParams

    def items(self, raw_root: Path, split: str, params: FunctionalCorrespondenceParams) -> Iterator[Item | BadRecord]:
        rows: list[FunkRow] = []
        for r in read_labels(labels_file(raw_root)):
            if isinstance(r, BadRecord):
                yield r
            elif group_split(r.image_id, params.val_fraction, params.test_fraction, "FunKPoint") == split:
                rows.append(r)
        by_action: dict[str, list[FunkRow]] = defaultdict(list)
        for r in rows:
            by_action[r.action].append(r)
        for r in rows:
            yield Item(f"r{r.row:06d}", (f"FunKPoint:{r.image_id}",), (r, by_action[r.action]))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        row, pool = item.data
        file = labels_file(ctx.raw_root)
        p = ctx.params
        partners = [q for q in pool if q.image_id != row.image_id
                    and not ctx.is_excluded([f"FunKPoint:{q.image_id}"])]
        if p.cross_category and any(q.category != row.category for q in partners):
            partners = [q for q in partners if q.category != row.category]
        if not partners:
            raise Filtered("no_partner_for_action")
        rng = ctx.rng("partners")
        chosen = rng.sample(partners, min(p.pairs_per_row, len(partners)))
        img1 = _image(ctx, row, file)
        made = 0
        for q in chosen:
            shared = [i for i in range(len(row.kps)) if row.kps[i] and q.kps[i]]
            if not shared or sum(1 for k in q.kps if k) < 4:
                continue
            try:
                img2 = _image(ctx, q, file)
            except BadRecord:
                continue  # the partner's own item reports it; this row still pairs with others
            w1, h1 = img1.size
            w2, h2 = img2.size
            pts2 = [(k[0] * w2, k[1] * h2) if k else None for k in q.kps]
            min_dist = p.min_distractor_dist * math.hypot(w2, h2)
            rng.shuffle(shared)
            for i in shared:
                others = [j for j in range(len(pts2)) if j != i and pts2[j]]
                picked = pick_far_candidates(rng, [pts2[j] for j in others], 3, [pts2[i]], min_dist)
                if picked is None:
                    continue
                options, letter = ctx.place(i, [others[j] for j in picked])
                ref = (row.kps[i][0] * w1, row.kps[i][1] * h1)
                first = draw_points(img1, [Point(*ref, "REF")])
                second = draw_points(img2, [Point(*pts2[j], L) for j, L in zip(options, "ABCD")])
                made += 1
                yield ctx.example(
                    f"with-r{q.row:06d}", [ctx.encode(first), ctx.encode(second)], CHOICES, letter,
                    source_ids=[*item.source_ids, f"FunKPoint:{q.image_id}"],
                    meta={"action": row.action, "ref_kp": i + 1, "option_kps": [j + 1 for j in options],
                          "categories": [row.category, q.category]},
                    action=row.action,
                )
                break
        if not made:
            raise Filtered("no_pair_with_four_separated_keypoints")
