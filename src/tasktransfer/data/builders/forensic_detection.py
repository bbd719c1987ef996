"""Forensic_Detection <- COCO + generated images: which of four is the real photograph?

Rule ``forensic_one_real``: one question per COCO image that has at least
``n_generated`` (3) generated versions in the manifest (made from its own caption): the
real photograph plus three of them, drawn with the item's seeded stream when there are
more; the real one takes a balanced position among the four (options: "the first
image" .. "the fourth image"). Images with fewer generated versions are filtered.

Rule ``forensic_normalise`` (on by default): photographs (COCO, 640x480 JPEG) and
renderings (SDXL, 1024x1024, often PNG) differ in size, aspect and encoding, which would
let a model find the real one without looking at content. All four images are therefore
centre-cropped to a square, resized to ``size`` [512] and re-encoded as JPEG with the
same settings; ``normalise=false`` keeps the original bytes.
Producing the generated set (SDXL from the first caption of each image) is a separate
step, documented in docs/data.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from PIL import Image

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..prompts import TEMPLATES
from ..registry import Builder, Item, register_builder
from ..sources.coco_forensic import CocoImage, GeneratedImage, read_coco_captions, read_manifest
from ._image_ids import content_ids


@dataclass(frozen=True)
class ForensicParams:
    n_generated: int = field(default=3, metadata={"help": "generated images per question (BLINK: 3)"})
    generated_dir: str = field(default="generated", metadata={"help": "folder of generated images + manifest.jsonl"})
    normalise: bool = field(default=True, metadata={"help": "square-crop, resize and re-encode all four alike"})
    size: int = field(default=512, metadata={"help": "side of the normalised images in pixels"})

    def __post_init__(self) -> None:
        if self.n_generated != 3:
            raise ValueError(f"`n_generated` is {self.n_generated}; BLINK's questions have four images, so 3")
        if self.size < 32:
            raise ValueError(f"`size` is {self.size}; expected at least 32 pixels")


def square(image: Image.Image, size: int) -> Image.Image:
    """Centre-crop ``image`` to a square and resize it to ``size`` x ``size``."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)


@register_builder
class ForensicDetectionBuilder(Builder):
    task = "Forensic_Detection"
    source = "COCO+generated"
    splits = ("train", "val")  # COCO 2017 train/val
    Params = ForensicParams
    marks_images = False

    def items(self, raw_root: Path, split: str, params: ForensicParams) -> Iterator[Item | BadRecord]:
        manifest = Path(raw_root) / params.generated_dir / "manifest.jsonl"
        by_image: dict[int, list[GeneratedImage]] = {}
        for g in read_manifest(manifest):
            if isinstance(g, BadRecord):
                yield g
            else:
                by_image.setdefault(g.image_id, []).append(g)
        captions = Path(raw_root) / "annotations" / f"captions_{split}2017.json"
        for img in read_coco_captions(captions, f"{split}2017"):
            if isinstance(img, BadRecord):
                yield img
                continue
            gens = sorted(by_image.get(img.image_id, []), key=lambda g: g.file)
            yield Item(key=f"coco{img.image_id}", source_ids=(f"coco:{img.image_id}",), data=(img, gens, str(manifest)))

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        img, gens, manifest = item.data
        img: CocoImage
        p: ForensicParams = ctx.params
        if len(gens) < p.n_generated:
            raise Filtered("too_few_generated")
        chosen: list[GeneratedImage] = ctx.rng("generated").sample(gens, p.n_generated)
        record = f"image_id {img.image_id}"
        paths = [(ctx.path(img.file, record=record), record)]
        paths += [(ctx.path(f"{p.generated_dir}/{g.file}", file=manifest, record=f"line {g.line}"), f"line {g.line}")
                  for g in chosen]
        if p.normalise:
            raw = [path.read_bytes() for path, _ in paths]
            ids = content_ids(raw, ctx)  # leakage ids of the source files, before re-encoding
            encoded = [ctx.encode(square(ctx.load(path, record=rec), p.size)) for path, rec in paths]
        else:
            encoded = [ctx.passthrough(path, record=rec) for path, rec in paths]
            ids = content_ids(encoded, ctx)
        images, letter = ctx.place(encoded[0], encoded[1:])
        yield ctx.example("", images, list(TEMPLATES[self.task].choices), letter,
                          meta={"image": img.file, "generated": [g.file for g in chosen],
                                "generators": sorted({g.generator for g in chosen})},
                          source_ids=[*item.source_ids, *ids])
