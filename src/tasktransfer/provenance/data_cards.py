"""Every training split's data card on one report page.

Cards are written as JSON beside each split by the builders; the report shows them as
HTML because the Snakemake report only displays images, PDFs and HTML (Markdown would be
a download link).
"""

from __future__ import annotations

import html
import json
import os
from typing import Any, Iterable, Mapping

from ..data.cards import load_card_json
from .html_table import page, table


def read_cards(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Load card JSON files, naming the file and the missing fields of a bad one."""
    return [load_card_json(path) for path in paths]


def _sizes(s: Mapping[str, Any]) -> str:
    if not s["count"]:
        return "no images"
    w, h = s["width"], s["height"]
    return (f"width {w['min']}-{w['max']} (mean {w['mean']}), height {h['min']}-{h['max']} (mean {h['mean']})"
            f" over {s['count']} images")


def _card_section(card: Mapping[str, Any]) -> str:
    c = card["counts"]
    anchor = html.escape(f"{card['task']}-{card['split']}")
    summary = [
        ("source dataset", card["source"]),
        ("examples", c["examples"]),
        ("source items seen", c["items_seen"]),
        ("seed", card["seed"]),
        ("shards", ", ".join(card["shards"]) or "-"),
        ("excluded for leakage (image in BLINK val/test)", c["excluded_items"]),
        ("images re-encoded with markers / passed through", f"{c['images_reencoded']} / {c['images_passed_through']}"),
        ("image sizes", _sizes(card["image_sizes"])),
        ("skip ratio", f"{card['skip_ratio']:.4f}"),
        ("largest letter deviation from uniform", f"{card['max_letter_deviation_pp']} percentage points"),
    ]
    letters = [(k, card["letters"][k], f"{v:.3f}") for k, v in card["letter_fraction"].items()]
    left_out = [("skipped (bad data)", r, n) for r, n in c["skipped"].items()]
    left_out += [("filtered (construction rule)", r, n) for r, n in c["filtered"].items()]
    messages = "".join(f"<li>{html.escape(m)}</li>" for m in card["skipped_messages"])
    return (
        f"<h2 id='{anchor}'>{html.escape(card['task'])} / {html.escape(card['split'])}</h2>"
        + table(["", ""], summary)
        + "<h3>Correct-letter balance</h3>" + table(["letter", "count", "share"], letters)
        + "<h3>Records left out</h3>" + table(["kind", "reason", "count"], left_out or [("-", "-", 0)])
        + (f"<p>First skipped records:</p><ul>{messages}</ul>" if messages else "")
        + "<h3>Builder parameters</h3><pre>" + html.escape(json.dumps(card["params"], indent=2, sort_keys=True))
        + "</pre>"
    )


def render_cards_html(cards: Iterable[Mapping[str, Any]]) -> str:
    """One page: an overview table linking to each split's full card, in task order."""
    cards = sorted(cards, key=lambda c: (c["task"], c["split"]))
    overview = table(
        ["task", "split", "source", "examples", "skipped", "filtered", "excluded (leakage)", "letter deviation (pp)"],
        [(c["task"], c["split"], c["source"], c["counts"]["examples"], sum(c["counts"]["skipped"].values()),
          sum(c["counts"]["filtered"].values()), c["counts"]["excluded_items"], c["max_letter_deviation_pp"])
         for c in cards],
    )
    links = " · ".join(f"<a href='#{html.escape(c['task'])}-{html.escape(c['split'])}'>{html.escape(c['task'])}</a>"
                       for c in cards)
    return page("Data cards", f"<p>{links}</p>{overview}" + "".join(_card_section(c) for c in cards))
