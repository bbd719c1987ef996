"""Art_Style <- WikiArt painting styles: which of two paintings shares the reference's style?

Rule ``art_style_triplets`` (to reach BLINK's 100k questions from ~4.5k paintings): a
triplet is (reference, positive, negative) with positive = another painting of the
reference's style and negative = a painting of a different style. The reference style is
drawn ``uniform`` over styles with at least two paintings (or ``proportional`` to their
counts), the paintings uniformly within their styles, the negative style uniformly
among the others; repeated triplets are redrawn. Triplets are drawn while listing, from
``sample_seed``, so each one's source ids are known before any pixel is read; the run's
seed then orders them and places the positive at a balanced position (2nd or 3rd image).
Paintings listed in ``exclude_images`` (the BLINK loader's id files) leave the pool before
sampling, so leakage costs no triplets; the run's ``--exclude-ids`` still drops any
triplet that uses a listed image.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from PIL import Image

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, CorruptImage, Filtered, MissingField
from ..near_dup import dhash
from ..prompts import TEMPLATES
from ..registry import Builder, Item, register_builder
from ..safety import decode_error
from ..sources.wikiart import Painting, read_wikiart
from ..sources.blink import image_source_id
from ._image_ids import content_ids, load_image_ids


@dataclass(frozen=True)
class ArtStyleParams:
    n_triplets: int = field(default=100_000, metadata={"help": "triplets to draw (BLINK paper: 100k)"})
    style_weighting: str = field(default="uniform", metadata={"help": "reference style: uniform or proportional"})
    sample_seed: int = field(default=0, metadata={"help": "seed of the triplet draw"})
    exclude_images: str = field(default="", metadata={"help": "id files (comma-separated) whose paintings leave the pool"})

    def __post_init__(self) -> None:
        if self.style_weighting not in ("uniform", "proportional"):
            raise ValueError(f"`style_weighting` is {self.style_weighting!r}; expected 'uniform' or 'proportional'")
        if self.n_triplets < 1:
            raise ValueError(f"`n_triplets` is {self.n_triplets}; expected >= 1")


def sample_triplets(styles: list[int], n: int, seed: int, weighting: str = "uniform") -> list[tuple[int, int, int]]:
    """Draw up to ``n`` distinct (reference, positive, negative) index triplets.

    ``styles[i]`` is painting i's style. Fewer than ``n`` come back only when the pool
    cannot give more distinct triplets.
    """
    by_style: dict[int, list[int]] = {}
    for i, s in enumerate(styles):
        by_style.setdefault(s, []).append(i)
    refs = sorted(s for s, v in by_style.items() if len(v) >= 2)
    if not refs or len(by_style) < 2:
        return []
    possible = sum(len(by_style[s]) * (len(by_style[s]) - 1) * (len(styles) - len(by_style[s])) for s in refs)
    n = min(n, possible)
    weights = [len(by_style[s]) if weighting == "proportional" else 1 for s in refs]
    rng = random.Random(seed)
    seen: set[tuple[int, int, int]] = set()
    out: list[tuple[int, int, int]] = []
    for _ in range(20 * n + 1000):
        if len(out) >= n:
            break
        s = rng.choices(refs, weights)[0]
        ref, pos = rng.sample(by_style[s], 2)
        neg_style = rng.choice([t for t in sorted(by_style) if t != s])
        trip = (ref, pos, rng.choice(by_style[neg_style]))
        if trip not in seen:
            seen.add(trip)
            out.append(trip)
    return out


def _check_bytes(data: bytes, record: str, on_image: Callable[[Image.Image], None] | None = None) -> tuple[int, int]:
    """Decode in-memory image bytes as ``passthrough_image`` does for files; return (w, h)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            size = im.size
            if im.format == "JPEG":  # reduced decode still reads the whole stream
                im.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
            im.load()
            if on_image is not None:
                on_image(im)
            return size
    except Filtered:
        raise
    except Exception as exc:  # Pillow raises many kinds for bad bytes
        raise CorruptImage(decode_error(exc), record=record) from None


def _near_dup_check(ctx: BuildContext) -> Callable[[Image.Image], None] | None:
    """The BLINK near-duplicate filter that ``ctx.passthrough`` applies to files, for bytes."""
    index = ctx.near_dup
    if index is None:
        return None

    def check(image: Image.Image) -> None:
        if index.matches(dhash(image)):
            raise Filtered("near_duplicate_of_blink_image")

    return check


@register_builder
class ArtStyleBuilder(Builder):
    task = "Art_Style"
    source = "WikiArt"
    splits = ("train", "valid", "test")
    Params = ArtStyleParams
    marks_images = False

    def items(self, raw_root: Path, split: str, params: ArtStyleParams) -> Iterator[Item | BadRecord]:
        pool: list[Painting] = []
        excluded = load_image_ids(params.exclude_images) if params.exclude_images else frozenset()
        for rec in read_wikiart(raw_root, split):
            if isinstance(rec, BadRecord):
                yield rec
            elif rec.data is not None:
                try:
                    _check_bytes(rec.data, rec.key)
                except CorruptImage as exc:
                    yield CorruptImage(exc.detail, file=raw_root, record=rec.key)
                    continue
                if image_source_id(rec.data) in excluded:
                    continue  # a BLINK image: never enters the pool
                pool.append(rec)
            else:
                pool.append(rec)
        for k, (r, p, n) in enumerate(sample_triplets([x.style for x in pool], params.n_triplets, params.sample_seed,
                                                      params.style_weighting)):
            trip = (pool[r], pool[p], pool[n])
            yield Item(key=f"t{k:06d}", source_ids=tuple(f"wikiart:{x.key}" for x in trip), data=trip)

    def _bytes(self, painting: Painting, ctx: BuildContext) -> bytes:
        if painting.data is not None:
            size = _check_bytes(painting.data, painting.key, _near_dup_check(ctx))
            # Card accounting as ctx.passthrough does for files (the context has no public
            # entry point for images that are already in memory).
            ctx._pending.append((size, False))
            return painting.data
        if painting.path is None:
            raise MissingField("painting has neither bytes nor a path", record=painting.key)
        return ctx.passthrough(ctx.path(painting.path, record=painting.key), record=painting.key)

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        ref, pos, neg = item.data
        ref_b, pos_b, neg_b = (self._bytes(x, ctx) for x in (ref, pos, neg))
        ids = content_ids([ref_b, pos_b, neg_b], ctx)
        pair, letter = ctx.place(pos_b, [neg_b])
        yield ctx.example("", [ref_b, *pair], list(TEMPLATES[self.task].choices), letter,
                          meta={"styles": [ref.style_name, pos.style_name, neg.style_name],
                                "paintings": [ref.key, pos.key, neg.key]},
                          source_ids=[*item.source_ids, *ids])
