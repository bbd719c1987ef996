"""Forensic_Detection <- COCO + generated images: which of four is the real photograph?

Rule ``forensic_one_real``: one question per COCO image that has at least
``n_generated`` (3) generated versions in the manifest (made from its own caption): the
real photograph plus three of them, drawn with the item's seeded stream when there are
more; the real one takes a balanced position among the four (options: "the first
image" .. "the fourth image"). Images with fewer generated versions are filtered.
Producing the generated set (SDXL from the first caption of each image) is a separate
step, documented in docs/data.md.
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
from ..sources.coco_forensic import CocoImage, GeneratedImage, read_coco_captions, read_manifest
from ._image_ids import content_ids


@dataclass(frozen=True)
class ForensicParams:
    n_generated: int = field(default=3, metadata={"help": "generated images per question (BLINK: 3)"})
    generated_dir: str = field(default="generated", metadata={"help": "folder of generated images + manifest.jsonl"})

    def __post_init__(self) -> None:
        if self.n_generated != 3:
            raise ValueError(f"`n_generated` is {self.n_generated}; BLINK's questions have four images, so 3")


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
        real = ctx.passthrough(ctx.path(img.file, record=record), record=record)
        fakes = [ctx.passthrough(ctx.path(f"{p.generated_dir}/{g.file}", file=manifest, record=f"line {g.line}"),
                                 record=f"line {g.line}") for g in chosen]
        ids = content_ids([real, *fakes], ctx)
        images, letter = ctx.place(real, fakes)
        yield ctx.example("", images, list(TEMPLATES[self.task].choices), letter,
                          meta={"image": img.file, "generated": [g.file for g in chosen],
                                "generators": sorted({g.generator for g in chosen})},
                          source_ids=[*item.source_ids, *ids])
