"""Relative_Depth from DIW: two circled points A/B, "which point is closer to the camera?".

Which of the two judged points is labelled A is chosen by the letter balancer, so the
correct answer is equally often A and B. Coordinates are rescaled when the image on
disk is not the size the CSV states. Parameter ``min_separation`` (fraction of the image
diagonal) drops pairs whose markers would overlap; 0 keeps all (BLINK's val set has no
such filter documented).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..markers import Point, draw_points
from ..registry import Builder, Item, register_builder
from ..sources.diw import read_diw


@dataclass(frozen=True)
class RelativeDepthParams:
    min_separation: float = 0.0


@register_builder
class RelativeDepthBuilder(Builder):
    task = "Relative_Depth"
    source = "DIW"
    splits = ("train", "val", "test")
    Params = RelativeDepthParams

    def items(self, raw_root: Path, split: str, params: RelativeDepthParams) -> Iterator[Item | BadRecord]:
        for rec in read_diw(raw_root, split):
            if isinstance(rec, BadRecord):
                yield rec
            else:
                yield Item(f"{rec.index:07d}-{rec.image_id}", (f"DIW:{rec.image_id}",), rec)

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        rec = item.data
        record = f"{rec.index} ({rec.image})"
        img = ctx.load(ctx.path(rec.image, file=rec.csv, record=record), record=record)
        sx, sy = img.width / rec.width, img.height / rec.height
        pa, pb = (rec.xa * sx, rec.ya * sy), (rec.xb * sx, rec.yb * sy)
        for x, y in (pa, pb):
            if not (0 <= x < img.width and 0 <= y < img.height):
                raise BadRecord(f"point ({x:.0f}, {y:.0f}) outside the {img.width}x{img.height} image",
                                file=rec.csv, record=record)
        diag = math.hypot(img.width, img.height)
        if math.dist(pa, pb) < ctx.params.min_separation * diag:
            raise Filtered("points_too_close")
        closer, farther = (pa, pb) if rec.a_closer else (pb, pa)
        (first, second), letter = ctx.place(closer, [farther])
        marked = draw_points(img, [Point(*first, "A"), Point(*second, "B")])
        yield ctx.example(
            "", [ctx.encode(marked)], ["A is closer", "B is closer"], letter,
            meta={"point_A": [round(v, 2) for v in first], "point_B": [round(v, 2) for v in second]},
        )
