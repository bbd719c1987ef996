"""What a builder sees while turning one work item into examples.

The context hides bookkeeping from builders: per-item random streams derived from the
seed (so results do not depend on sharding or on which items were skipped), balanced
letter placement, safe path resolution, image loading/encoding with size accounting,
and the common fields of an :class:`~tasktransfer.splits.Example`.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any, Sequence, TypeVar

from PIL import Image

from ..splits import Example
from ..tasks import get_task
from .balance import LetterBalancer
from .cards import Card
from .errors import Filtered
from .leakage import is_excluded
from .near_dup import NearDupIndex, dhash
from .prompts import TEMPLATES, render_prompt
from .registry import Builder, Item, params_dict
from .safety import encode_jpeg, open_image, passthrough_image, resolve_under

T = TypeVar("T")


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from any parts, stable across processes (unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


class BuildContext:
    """Per-shard services for a builder; image counts are committed only for items that succeed."""

    def __init__(self, builder: Builder, raw_root: Path, split: str, seed: int, params: Any, card: Card,
                 shard_index: int = 0, jpeg_quality: int = 92, exclude: frozenset[str] = frozenset(),
                 near_dup: NearDupIndex | None = None) -> None:
        self.builder = builder
        self.task = builder.task
        self.raw_root = Path(raw_root)
        self.split = split
        self.seed = seed
        self.params = params
        self.card = card
        self.jpeg_quality = jpeg_quality
        self.exclude = exclude
        self.near_dup = near_dup if near_dup is not None and len(near_dup) else None
        n_options = get_task(self.task).n_options
        self.balancer = LetterBalancer(n_options, derive_seed(seed, self.task, split, "letters", shard_index))
        self._params_meta = params_dict(params)
        self._pending: list[tuple[tuple[int, int], bool]] = []
        self._item: Item | None = None

    # -- item lifecycle (called by the runner) --------------------------------------------
    def begin(self, item: Item) -> None:
        self._item = item
        self._pending = []
        self._balancer_state = (self.balancer._rng.getstate(), list(self.balancer._block))

    def commit(self) -> None:
        for size, reencoded in self._pending:
            self.card.sizes.add(size)
            if reencoded:
                self.card.images_reencoded += 1
            else:
                self.card.images_passed_through += 1
        self._pending = []

    def rollback(self) -> None:
        """Forget a failed item's images and give back its letter positions."""
        self._pending = []
        state, block = self._balancer_state
        self.balancer._rng.setstate(state)
        self.balancer._block = block

    # -- services for builders ------------------------------------------------------------
    def rng(self, *parts: object) -> random.Random:
        """A random stream for the current item (plus ``parts``), independent of sharding."""
        key = self._item.key if self._item else ""
        return random.Random(derive_seed(self.seed, self.task, self.split, key, *parts))

    def path(self, rel: str, *, file: str | Path | None = None, record: str | None = None) -> Path:
        """Resolve an annotation's image path inside the raw root (refusing escapes)."""
        return resolve_under(self.raw_root, rel, file=file, record=record)

    def load(self, path: str | Path, *, record: str | None = None) -> Image.Image:
        """Decode an image (RGB); filters the item if it is a near-duplicate of a BLINK image."""
        image = open_image(path, record=record)
        self._check_near_dup(image)
        return image

    def _check_near_dup(self, image: Image.Image) -> None:
        if self.near_dup is not None and self.near_dup.matches(dhash(image)):
            raise Filtered("near_duplicate_of_blink_image")

    def encode(self, image: Image.Image) -> bytes:
        """JPEG bytes of a marked image (re-encoded)."""
        self._pending.append((image.size, True))
        return encode_jpeg(image, self.jpeg_quality)

    def passthrough(self, path: str | Path, *, record: str | None = None) -> bytes:
        """Original bytes of an unmarked image, after checking it decodes."""
        data, size = passthrough_image(path, record=record,
                                       on_image=self._check_near_dup if self.near_dup is not None else None)
        self._pending.append((size, False))
        return data

    def is_excluded(self, source_ids: Sequence[str]) -> bool:
        """Whether any of ``source_ids`` is on the leakage list (for images a builder adds itself, e.g. partners)."""
        return is_excluded(source_ids, self.exclude)

    def place(self, correct: T, distractors: Sequence[T]) -> tuple[list[T], str]:
        """Options with the correct one at the next balanced position, and its letter."""
        return self.balancer.place(correct, distractors)

    def example(self, suffix: str, images: list[bytes], choices: list[str], answer: str,
                meta: dict[str, Any] | None = None, source_ids: Sequence[str] | None = None,
                **slots: str) -> Example:
        """An Example with the task's BLINK prompt rendered from ``choices`` and ``slots``."""
        item = self._item
        assert item is not None, "example() called outside an item"
        ex_id = f"{self.task}/{self.split}/{item.key}" + (f"/{suffix}" if suffix else "")
        full_meta = {"item": item.key, "params": self._params_meta, "short_question": _short(self.task, slots)}
        full_meta.update(meta or {})
        return Example(
            id=ex_id, task=self.task, split=self.split, images=images,
            question=render_prompt(self.task, choices, **slots), choices=list(choices), answer=answer,
            source=self.builder.source, source_ids=list(source_ids if source_ids is not None else item.source_ids),
            meta=full_meta, image_paths=[f"{ex_id}/image_{k + 1}" for k in range(len(images))],
        )


def _short(task: str, slots: dict[str, str]) -> str:
    q = TEMPLATES[task].short_question
    return q.format(**slots) if slots else q
