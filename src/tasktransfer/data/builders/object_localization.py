"""Object_Localization from LVIS: boxes A and B, "which box more accurately encloses the {object}?".

One question per image. Candidate objects (rules, parameters):

* ``min_area_frac``..``max_area_frac``: the true box covers this share of the image
  (one published rebuild keeps 15-50 %, which matches BLINK's large, clear objects);
* ``unique_category``: the category occurs once in the image, so "the {object}" is
  unambiguous.

Rule ``jitter_corners``: the wrong box moves each corner of the true box by up to
``max_jitter`` of the box size, clipped to the image, redrawn until its IoU with the true
box lies in [``iou_min``, ``iou_max``] (default 0.2-0.5: clearly worse, still
overlapping). Which box is A is set by the letter balancer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered, MissingFile
from ..markers import Box, draw_boxes
from ..registry import Builder, Item, register_builder
from ..sources.lvis import LvisBox, annotation_file, read_lvis

CHOICES = ["Box A", "Box B"]
Rect = tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class ObjectLocalizationParams:
    min_area_frac: float = 0.15
    max_area_frac: float = 0.5
    unique_category: bool = True
    iou_min: float = 0.2
    iou_max: float = 0.5
    max_jitter: float = 0.6
    annotation_file: str = ""


def iou(a: Rect, b: Rect) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def jitter_box(rng, box: Rect, size: tuple[int, int], iou_range: tuple[float, float], max_jitter: float,
               tries: int = 200) -> Rect | None:
    """A perturbed copy of ``box`` inside the image with IoU in ``iou_range``; None if none found."""
    w, h = box[2] - box[0], box[3] - box[1]
    for _ in range(tries):
        x1 = min(max(0.0, box[0] + rng.uniform(-max_jitter, max_jitter) * w), size[0] - 1)
        y1 = min(max(0.0, box[1] + rng.uniform(-max_jitter, max_jitter) * h), size[1] - 1)
        x2 = min(max(0.0, box[2] + rng.uniform(-max_jitter, max_jitter) * w), size[0] - 1)
        y2 = min(max(0.0, box[3] + rng.uniform(-max_jitter, max_jitter) * h), size[1] - 1)
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        cand = (x1, y1, x2, y2)
        if iou_range[0] <= iou(cand, box) <= iou_range[1]:
            return cand
    return None


@register_builder
class ObjectLocalizationBuilder(Builder):
    task = "Object_Localization"
    source = "LVIS"
    splits = ("train", "val")
    Params = ObjectLocalizationParams

    def items(self, raw_root: Path, split: str, params: ObjectLocalizationParams) -> Iterator[Item | BadRecord]:
        path = raw_root / params.annotation_file if params.annotation_file else annotation_file(raw_root, split)
        per_image: dict[int, list[LvisBox]] = defaultdict(list)
        for box in read_lvis(path):
            if isinstance(box, BadRecord):
                yield box
            else:
                per_image[box.image.id].append(box)
        for image_id in sorted(per_image):
            boxes = per_image[image_id]
            counts = Counter(b.category for b in boxes)
            img = boxes[0].image
            keep = [b for b in boxes
                    if params.min_area_frac <= b.bbox[2] * b.bbox[3] / (img.width * img.height) <= params.max_area_frac
                    and (not params.unique_category or counts[b.category] == 1)]
            if keep:
                yield Item(f"img{image_id:012d}", (f"coco:{image_id}",), (str(path), keep))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        file, boxes = item.data
        rng = ctx.rng("box")
        box = rng.choice(boxes)
        rec = f"image id {box.image.id}, annotation id {box.ann_id}"
        path = None
        for rel in box.image.paths:
            try:
                path = ctx.path(rel, file=file, record=rec)
                break
            except MissingFile:
                continue
        if path is None:
            raise MissingFile(f"image not found at any of {list(box.image.paths)}", file=file, record=rec)
        img = ctx.load(path, record=rec)
        sx, sy = img.width / box.image.width, img.height / box.image.height
        x, y, w, h = box.bbox
        true = (x * sx, y * sy, (x + w) * sx, (y + h) * sy)
        p = ctx.params
        wrong = jitter_box(rng, true, img.size, (p.iou_min, p.iou_max), p.max_jitter)
        if wrong is None:
            raise Filtered("no_perturbation_in_iou_range")
        options, letter = ctx.place(true, [wrong])
        marked = draw_boxes(img, [Box(*options[0], "A"), Box(*options[1], "B")])
        yield ctx.example(
            f"a{box.ann_id}", [ctx.encode(marked)], CHOICES, letter, object=box.category,
            meta={"category": box.category, "annotation_id": box.ann_id, "iou": round(iou(true, wrong), 4),
                  "boxes": [[round(v, 2) for v in o] for o in options]},
        )
