"""Jigsaw <- TARA: a picture with its lower-right corner blacked out, which patch fits?

Rule ``jigsaw_corner``: the missing part is the lower-right ``corner_frac`` of the width
and height (BLINK's val images: a 400x220 picture with a 200x110 black corner); image 1 is
the picture with that region black, the answer patch is the region itself.
Rule ``jigsaw_distractor``: with ``distractor_source="other_image"`` (default, as in
BLINK's val_Jigsaw_1 whose wrong patch shows a different photograph) the wrong patch is
the same corner of another TARA picture, fitted (cropped to the aspect, then scaled) to
the same size; the partner is the next picture in a hash order of the keys (salted by ``partner_salt``) so it is fixed
while listing and its source id is checked for leakage too. With ``"same_image"`` it is
a same-size patch elsewhere in the same picture overlapping the corner by at most
``max_overlap`` (IoU). Patches take balanced positions 2 and 3.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageOps

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord
from ..prompts import TEMPLATES
from ..registry import Builder, Item, register_builder
from ..sources.tara import TaraRecord, read_tara, split_file
from ._image_ids import content_ids


@dataclass(frozen=True)
class JigsawParams:
    corner_frac: float = field(default=0.5, metadata={"help": "missing corner size as a fraction of width/height"})
    distractor_source: str = field(default="other_image", metadata={"help": "other_image or same_image"})
    max_overlap: float = field(default=0.25, metadata={"help": "same_image: max IoU of the wrong patch with the corner"})
    partner_salt: int = field(default=0, metadata={"help": "changes which picture gives the wrong patch"})
    max_side: int = field(default=512, metadata={"help": "resize so the longer side is at most this (0: keep)"})
    image_dir: str = field(default="images", metadata={"help": "folder of the downloaded images, under the root"})

    def __post_init__(self) -> None:
        if not 0.1 <= self.corner_frac <= 0.75:
            raise ValueError(f"`corner_frac` is {self.corner_frac}; expected 0.1..0.75")
        if self.distractor_source not in ("other_image", "same_image"):
            raise ValueError(f"`distractor_source` is {self.distractor_source!r}; expected 'other_image' or 'same_image'")


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    if max_side and max(img.size) > max_side:
        s = max_side / max(img.size)
        img = img.resize((max(2, round(img.width * s)), max(2, round(img.height * s))), Image.Resampling.BICUBIC)
    return img


@register_builder
class JigsawBuilder(Builder):
    task = "Jigsaw"
    source = "TARA"
    splits = ("train", "dev", "test")
    Params = JigsawParams
    marks_images = True

    def items(self, raw_root: Path, split: str, params: JigsawParams) -> Iterator[Item | BadRecord]:
        records = list(read_tara(split_file(raw_root, split)))
        good = [r for r in records if not isinstance(r, BadRecord)]
        ring = sorted(good, key=lambda r: hashlib.sha256(f"{params.partner_salt}:{r.line}".encode()).digest())
        partner = {r.line: ring[(i + 1) % len(ring)] for i, r in enumerate(ring)} if len(ring) > 1 else {}
        for rec in records:
            if isinstance(rec, BadRecord):
                yield rec
                continue
            ids = [f"tara:{rec.image}"]
            other = partner.get(rec.line) if params.distractor_source == "other_image" else None
            if other is not None:
                ids.append(f"tara:{other.image}")
            yield Item(key=f"l{rec.line}", source_ids=tuple(ids), data=(rec, other))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        rec, other = item.data
        rec: TaraRecord
        p: JigsawParams = ctx.params
        file = split_file(ctx.raw_root, ctx.split)
        record = f"line {rec.line} ({rec.image_url})"
        path = ctx.path(f"{p.image_dir}/{rec.image}", file=file, record=record)
        raw = path.read_bytes()
        img = _fit(ctx.load(path, record=record), p.max_side)
        w, h = img.width - img.width % 2, img.height - img.height % 2
        img = img.crop((0, 0, w, h))
        pw, ph = round(w * p.corner_frac), round(h * p.corner_frac)
        corner = (w - pw, h - ph, w, h)
        answer = img.crop(corner)
        sources = [raw]
        if p.distractor_source == "other_image":
            if other is None:
                raise BadRecord("no second picture in the split to take the wrong patch from", file=file, record=record)
            opath = ctx.path(f"{p.image_dir}/{other.image}", file=file, record=f"line {other.line}")
            sources.append(opath.read_bytes())
            # fit (crop to the aspect, then scale) rather than stretch: no distortion cue
            partner = ImageOps.fit(ctx.load(opath, record=f"line {other.line}"), (w, h), Image.Resampling.BICUBIC)
            wrong = partner.crop(corner)
        else:
            rng = ctx.rng("distractor")
            for _ in range(200):
                x, y = rng.randint(0, w - pw), rng.randint(0, h - ph)
                if _iou((x, y, x + pw, y + ph), corner) <= p.max_overlap:
                    break
            else:
                x, y = 0, 0
            wrong = img.crop((x, y, x + pw, y + ph))
        ids = content_ids(sources, ctx)
        holed = img.copy()
        holed.paste((0, 0, 0), corner)
        patches, letter = ctx.place(answer, [wrong])
        images = [ctx.encode(holed), *(ctx.encode(x) for x in patches)]
        yield ctx.example("", images, list(TEMPLATES[self.task].choices), letter,
                          meta={"image": rec.image, "corner": list(corner), "distractor_source": p.distractor_source,
                                "partner": other.image if other is not None and p.distractor_source == "other_image" else None},
                          source_ids=[*item.source_ids, *ids])
