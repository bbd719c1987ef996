"""Run a builder: order and shard the work, stream examples to Parquet, write the data card.

The runner lists work items (annotations only), orders them by a seeded hash of their
key (so ``--limit`` takes an unbiased sample and shards are balanced), takes every
``n``-th item for shard ``k``, and streams the examples through
:class:`~tasktransfer.splits.SplitWriter` (bounded memory, atomic). Bad records are
skipped and counted; past ``max_skip_ratio`` the build fails and writes nothing. Items
whose source images are on the leakage list are dropped before any image is read.
Same inputs + seed + shard -> byte-identical Parquet.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..splits import SCHEMA, SplitFormatError, SplitWriter, check_schema
from ..tasks import get_task
from .cards import Card, merge_cards, read_card, write_card
from .context import BuildContext, derive_seed
from .errors import BadRecord, DataError, Filtered, SkipRatioExceeded
from .leakage import is_excluded, load_exclude_ids
from .near_dup import NearDupIndex
from .registry import Item, get_builder, make_params, params_dict

DEFAULT_MAX_SKIP_RATIO = 0.1
#: The skip ratio is judged only once this many records were tried: on a handful of
#: records (a tiny ``--limit`` or shard) one bad file says nothing about the dataset.
MIN_TRIED_FOR_RATIO = 20


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """Parse ``"K/N"`` (K in 0..N-1)."""
        try:
            k, n = (int(x) for x in text.split("/"))
        except ValueError:
            raise ValueError(f"shard {text!r} is not K/N with integers (e.g. 0/4)") from None
        if n < 1 or not 0 <= k < n:
            raise ValueError(f"shard {text!r}: need N >= 1 and 0 <= K < N")
        return cls(k, n)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def quota(self, limit: int | None) -> int | None:
        """This shard's share of a total example ``limit`` (shares differ by at most one)."""
        if limit is None:
            return None
        return limit // self.count + (1 if self.index < limit % self.count else 0)


def _order_key(seed: int, task: str, split: str, key: str) -> bytes:
    return hashlib.sha256(f"{seed}\x1f{task}\x1f{split}\x1f{key}".encode()).digest()


class _Progress:
    """Progress lines on stderr, at most every ``every_s`` seconds, plus a final one."""

    def __init__(self, label: str, total: int, stream: TextIO | None, every_s: float = 10.0) -> None:
        self.label, self.total, self.stream, self.every_s = label, total, stream, every_s
        self.start = self.last = time.monotonic()

    def update(self, card: Card, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if self.stream is None or (not final and now - self.last < self.every_s):
            return
        self.last = now
        rate = card.examples / max(now - self.start, 1e-9)
        print(f"[{self.label}] items {done}/{self.total}, examples {card.examples}, skipped {card.n_skipped},"
              f" filtered {sum(card.filtered.values())}, {rate:.1f} examples/s" + (" (done)" if final else ""),
              file=self.stream, flush=True)


def build_split(task: str, raw_root: str | os.PathLike[str], out: str | os.PathLike[str], *, split: str = "train",
                seed: int = 0, limit: int | None = None, shard: Shard = Shard(), exclude_ids: Iterable[str] = (),
                max_skip_ratio: float = DEFAULT_MAX_SKIP_RATIO, params: dict[str, Any] | None = None,
                progress: TextIO | None = sys.stderr, rows_per_group: int = 64,
                near_dup: NearDupIndex | None = None) -> Card:
    """Build shard ``shard`` of ``task``'s ``split`` from ``raw_root`` into ``out``; return its card.

    ``near_dup`` (hashes of BLINK images) filters items whose images are near-duplicates.
    Raises :class:`SkipRatioExceeded` (nothing written) when bad records exceed
    ``max_skip_ratio`` of the records tried (judged from :data:`MIN_TRIED_FOR_RATIO`
    records on), and :class:`DataError` when nothing is left.
    """
    builder = get_builder(task)
    if split not in builder.splits:
        raise ValueError(f"{task}: split {split!r} not available; the builder supports {list(builder.splits)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if not 0 <= max_skip_ratio <= 1:
        raise ValueError(f"max_skip_ratio must be in [0, 1], got {max_skip_ratio}")
    raw_root = Path(raw_root)
    if not raw_root.is_dir():
        raise FileNotFoundError(f"raw data root {raw_root} for {task} ({builder.source}) is not a directory")
    p = make_params(builder, params)
    exclude = frozenset(exclude_ids)
    card = Card(task=task, split=split, source=builder.source, n_options=get_task(task).n_options, seed=seed,
                params=params_dict(p), shards=[str(shard)])
    label = f"{task} {split} shard {shard}"

    # 1. List work items (cheap), keep bad listing entries for this shard's count.
    items: list[Item] = []
    n_listed = 0
    for entry in builder.items(raw_root, split, p):
        if isinstance(entry, BadRecord):
            if n_listed % shard.count == shard.index:
                card.n_skipped_unseen += 1
                card.skip(entry.reason, str(entry))
        else:
            items.append(entry)
        n_listed += 1
    keys = [it.key for it in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(f"{task}: builder produced duplicate item key {dup!r}")
    items.sort(key=lambda it: _order_key(seed, task, split, it.key))
    mine = items[shard.index :: shard.count]
    del items
    quota = shard.quota(limit)
    bar = _Progress(label, len(mine), progress)
    if progress is not None:
        print(f"[{label}] {len(mine)} items to process from {raw_root}", file=progress, flush=True)

    # 2. Stream examples.
    ctx = BuildContext(builder, raw_root, split, seed, p, card, shard_index=shard.index, exclude=exclude,
                       near_dup=near_dup)
    with SplitWriter(out, rows_per_group=rows_per_group) as writer:
        for done, item in enumerate(mine, 1):
            if quota is not None and card.examples >= quota:
                break
            if is_excluded(item.source_ids, exclude):
                card.excluded_items += 1
                continue
            card.items_seen += 1
            ctx.begin(item)
            try:
                made = list(builder.examples(item, ctx))
            except BadRecord as exc:
                ctx.rollback()
                card.skip(exc.reason, str(exc))
                continue
            except Filtered as exc:
                ctx.rollback()
                card.filtered[exc.reason] += 1
                continue
            if quota is not None:
                made = made[: quota - card.examples]
            ctx.commit()
            for ex in made:
                writer.write(ex)
                card.letters[ex.answer] += 1
                card.examples += 1
            bar.update(card, done)
        bar.update(card, len(mine), final=True)
        tried = card.items_seen + card.n_skipped_unseen
        if tried >= MIN_TRIED_FOR_RATIO and card.skip_ratio > max_skip_ratio:
            raise SkipRatioExceeded(
                f"{label}: {card.n_skipped} bad records of {card.items_seen + card.n_skipped_unseen} tried"
                f" ({card.skip_ratio:.1%}) exceeds the allowed skip ratio {max_skip_ratio:.1%};"
                f" reasons {dict(card.skipped)}; first: {card.messages[:3]}"
            )
        if card.examples == 0:
            raise DataError(f"{label}: no examples built from {raw_root} (skipped {dict(card.skipped)},"
                            f" filtered {dict(card.filtered)}, excluded {card.excluded_items})")
    card.output_sha256 = file_sha256(out)
    write_card(card, out)
    return card


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def merge_splits(shards: Iterable[str | os.PathLike[str]], out: str | os.PathLike[str], *,
                 rows_per_group: int = 64) -> Card:
    """Concatenate shard splits (in the given order) into ``out`` and merge their cards.

    Streams row groups, so memory stays bounded; refuses duplicate ids across shards.
    """
    paths = [Path(s) for s in shards]
    if not paths:
        raise ValueError("no shard files to merge")
    cards = [read_card(p) for p in paths]
    seen: set[str] = set()
    with atomic_path(out) as tmp:
        with pq.ParquetWriter(tmp, SCHEMA, compression="zstd") as writer:
            for p in paths:
                pf = pq.ParquetFile(p)
                check_schema(pf.schema_arrow, p)
                for batch in pf.iter_batches(batch_size=rows_per_group):
                    ids = batch.column("id").to_pylist()
                    dup = seen.intersection(ids)
                    if dup:
                        raise SplitFormatError(f"{p}: id {sorted(dup)[0]!r} already present in an earlier shard")
                    seen.update(ids)
                    writer.write_table(pa.Table.from_batches([batch]).cast(SCHEMA))
    card = merge_cards(cards)
    card.output_sha256 = file_sha256(out)
    write_card(card, out)
    return card


__all__ = ["Shard", "build_split", "merge_splits", "load_exclude_ids", "is_excluded", "DEFAULT_MAX_SKIP_RATIO", "MIN_TRIED_FOR_RATIO",
           "derive_seed"]
