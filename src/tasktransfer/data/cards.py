"""Data cards: what a built split contains and what was left out, as JSON and Markdown.

A card travels next to each split (``<split>.card.json`` / ``.card.md``) so anyone using
the data can see its size, letter balance, image sizes, the records skipped (and why)
and the exact builder parameters without opening the Parquet file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..atomic import write_json, write_text

MAX_MESSAGES = 20  # skipped-record messages kept verbatim per card

# Keys of a card's JSON (``Card.to_dict``); a card read back must have all of them.
CARD_FIELDS = ("task", "split", "source", "seed", "shards", "params", "counts", "skip_ratio", "letters",
               "letter_fraction", "max_letter_deviation_pp", "image_sizes", "skipped_messages")
COUNT_FIELDS = ("examples", "items_seen", "excluded_items", "skipped", "skipped_while_listing", "filtered",
                "images_reencoded", "images_passed_through")


def check_card_fields(d: Any, where: str) -> dict[str, Any]:
    """``d`` if it has every card field, else a ValueError naming ``where`` and all missing fields."""
    if not isinstance(d, dict):
        raise ValueError(f"{where}: a data card must be a JSON object, got {type(d).__name__}")
    missing = [k for k in CARD_FIELDS if k not in d]
    counts = d.get("counts")
    if isinstance(counts, dict):
        missing += [f"counts.{k}" for k in COUNT_FIELDS if k not in counts]
    elif "counts" in d:
        missing.append("counts (not an object)")
    if missing:
        raise ValueError(f"{where}: data card lacks field(s) {', '.join(missing)}")
    return d


def _parse_card_json(path: str | os.PathLike[str]) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable data card ({exc})") from exc


def load_card_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A card JSON file, parsed and checked; a bad one is named with what is wrong."""
    return check_card_fields(_parse_card_json(path), str(path))


@dataclass
class SizeStats:
    """Streaming min/max/mean of image widths and heights (no per-image storage)."""

    count: int = 0
    width_min: int = 0
    width_max: int = 0
    width_sum: int = 0
    height_min: int = 0
    height_max: int = 0
    height_sum: int = 0

    def add(self, size: tuple[int, int]) -> None:
        w, h = size
        if self.count == 0:
            self.width_min = self.width_max = w
            self.height_min = self.height_max = h
        self.width_min, self.width_max = min(self.width_min, w), max(self.width_max, w)
        self.height_min, self.height_max = min(self.height_min, h), max(self.height_max, h)
        self.width_sum += w
        self.height_sum += h
        self.count += 1

    def merge(self, other: "SizeStats") -> None:
        if other.count == 0:
            return
        if self.count == 0:
            self.__dict__.update(other.__dict__)
            return
        self.width_min, self.width_max = min(self.width_min, other.width_min), max(self.width_max, other.width_max)
        self.height_min = min(self.height_min, other.height_min)
        self.height_max = max(self.height_max, other.height_max)
        self.width_sum += other.width_sum
        self.height_sum += other.height_sum
        self.count += other.count

    def summary(self) -> dict[str, Any]:
        mean = (lambda s: round(s / self.count, 1)) if self.count else (lambda s: 0.0)
        return {
            "count": self.count,
            "width": {"min": self.width_min, "max": self.width_max, "mean": mean(self.width_sum)},
            "height": {"min": self.height_min, "max": self.height_max, "mean": mean(self.height_sum)},
        }


@dataclass
class Card:
    """Counts of one build (a shard or a merged split); :meth:`to_dict` is the JSON form."""

    task: str
    split: str
    source: str
    n_options: int
    seed: int
    params: dict[str, Any]
    shards: list[str] = field(default_factory=list)
    items_seen: int = 0
    examples: int = 0
    excluded_items: int = 0
    letters: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    filtered: Counter = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    images_reencoded: int = 0
    images_passed_through: int = 0
    sizes: SizeStats = field(default_factory=SizeStats)
    output_sha256: str = ""
    # Bad records found while listing items never become items; they count as attempts too.
    n_skipped_unseen: int = 0

    def skip(self, reason: str, message: str) -> None:
        self.skipped[reason] += 1
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)

    @property
    def n_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def skip_ratio(self) -> float:
        attempted = self.items_seen + self.n_skipped_unseen
        return self.n_skipped / attempted if attempted else 0.0

    def letter_balance(self) -> dict[str, float]:
        letters = "ABCD"[: self.n_options]
        total = sum(self.letters[c] for c in letters)
        return {c: (self.letters[c] / total if total else 0.0) for c in letters}

    def max_letter_deviation_pp(self) -> float:
        """Largest gap, in percentage points, between a letter's share and the uniform share."""
        if not self.examples:
            return 0.0
        return round(max(abs(f - 1 / self.n_options) for f in self.letter_balance().values()) * 100, 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "split": self.split,
            "source": self.source,
            "seed": self.seed,
            "shards": list(self.shards),
            "params": self.params,
            "counts": {
                "examples": self.examples,
                "items_seen": self.items_seen,
                "excluded_items": self.excluded_items,
                "skipped": dict(sorted(self.skipped.items())),
                "skipped_while_listing": self.n_skipped_unseen,
                "filtered": dict(sorted(self.filtered.items())),
                "images_reencoded": self.images_reencoded,
                "images_passed_through": self.images_passed_through,
            },
            "skip_ratio": round(self.skip_ratio, 6),
            "letters": {c: self.letters[c] for c in "ABCD"[: self.n_options]},
            "letter_fraction": {c: round(v, 6) for c, v in self.letter_balance().items()},
            "max_letter_deviation_pp": self.max_letter_deviation_pp(),
            "image_sizes": self.sizes.summary(),
            "skipped_messages": list(self.messages),
            "output_sha256": self.output_sha256,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "data card") -> "Card":
        check_card_fields(d, where)
        sizes = SizeStats()
        s = d["image_sizes"]
        if s["count"]:
            sizes = SizeStats(s["count"], s["width"]["min"], s["width"]["max"], round(s["width"]["mean"] * s["count"]),
                              s["height"]["min"], s["height"]["max"], round(s["height"]["mean"] * s["count"]))
        c = d["counts"]
        return cls(
            task=d["task"], split=d["split"], source=d["source"], n_options=len(d["letters"]), seed=d["seed"],
            params=d["params"], shards=list(d["shards"]), items_seen=c["items_seen"], examples=c["examples"],
            excluded_items=c["excluded_items"], letters=Counter(d["letters"]), skipped=Counter(c["skipped"]),
            filtered=Counter(c["filtered"]), messages=list(d["skipped_messages"]),
            images_reencoded=c["images_reencoded"], images_passed_through=c["images_passed_through"],
            sizes=sizes, output_sha256=d.get("output_sha256", ""), n_skipped_unseen=c["skipped_while_listing"],
        )

    def merge(self, other: "Card") -> None:
        """Add another shard's counts into this card (same task, split, seed and params)."""
        for attr in ("task", "split", "seed", "params"):
            if getattr(self, attr) != getattr(other, attr):
                raise ValueError(f"cannot merge cards with different {attr}: {getattr(self, attr)!r} vs "
                                 f"{getattr(other, attr)!r}")
        self.shards += other.shards
        for attr in ("items_seen", "examples", "excluded_items", "images_reencoded", "images_passed_through",
                     "n_skipped_unseen"):
            setattr(self, attr, getattr(self, attr) + getattr(other, attr))
        self.letters.update(other.letters)
        self.skipped.update(other.skipped)
        self.filtered.update(other.filtered)
        self.messages = (self.messages + other.messages)[:MAX_MESSAGES]
        self.sizes.merge(other.sizes)

    def to_markdown(self) -> str:
        d = self.to_dict()
        c = d["counts"]
        s = d["image_sizes"]
        lines = [
            f"# Data card: {self.task} / {self.split}",
            "",
            f"- source dataset: {self.source}",
            f"- examples: {self.examples} (from {self.items_seen} source items; seed {self.seed};"
            f" shards {', '.join(self.shards) or '-'})",
            f"- excluded for leakage (source image in BLINK val/test): {self.excluded_items} items",
            f"- images re-encoded with markers: {c['images_reencoded']}; passed through unchanged:"
            f" {c['images_passed_through']}",
            f"- image sizes: width {s['width']['min']}-{s['width']['max']} (mean {s['width']['mean']}),"
            f" height {s['height']['min']}-{s['height']['max']} (mean {s['height']['mean']}) over {s['count']} images",
            f"- skip ratio: {d['skip_ratio']:.4f}",
            "",
            "## Correct-letter balance",
            "",
            "| letter | count | share |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {d['letters'][k]} | {v:.3f} |" for k, v in d["letter_fraction"].items()]
        lines += ["", f"Largest deviation from uniform: {d['max_letter_deviation_pp']} percentage points.", ""]
        lines += ["## Records left out", "", "| kind | reason | count |", "|---|---|---|"]
        rows = [("skipped (bad data)", r, n) for r, n in c["skipped"].items()]
        rows += [("filtered (construction rule)", r, n) for r, n in c["filtered"].items()]
        lines += [f"| {k} | {r} | {n} |" for k, r, n in rows] or ["| - | - | 0 |"]
        if self.messages:
            lines += ["", "First skipped records:", ""] + [f"- {m}" for m in self.messages]
        lines += ["", "## Builder parameters", "", "```json", json.dumps(self.params, indent=2, sort_keys=True), "```", ""]
        return "\n".join(lines)


def card_paths(split_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Where the JSON and Markdown cards of a split file live (next to it)."""
    p = Path(split_path)
    stem = p.name[: -len(".parquet")] if p.name.endswith(".parquet") else p.name
    return p.with_name(stem + ".card.json"), p.with_name(stem + ".card.md")


def write_card(card: Card, split_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    jpath, mpath = card_paths(split_path)
    write_json(jpath, card.to_dict())
    write_text(mpath, card.to_markdown())
    return jpath, mpath


def read_card(split_path: str | os.PathLike[str]) -> Card:
    jpath, _ = card_paths(split_path)
    if not jpath.exists():
        raise FileNotFoundError(f"data card {jpath} not found (expected next to {split_path})")
    return Card.from_dict(_parse_card_json(jpath), where=str(jpath))  # from_dict checks the fields


def merge_cards(cards: Iterable[Card]) -> Card:
    cards = list(cards)
    if not cards:
        raise ValueError("no cards to merge")
    merged = Card.from_dict(cards[0].to_dict())
    for c in cards[1:]:
        merged.merge(c)
    merged.output_sha256 = ""
    return merged


__all__ = ["CARD_FIELDS", "COUNT_FIELDS", "Card", "SizeStats", "card_paths", "check_card_fields", "load_card_json",
           "write_card", "read_card", "merge_cards"]
