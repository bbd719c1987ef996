"""Render a built question as one PNG (its images side by side, the gold letter beneath), for eyeballing.

Looking at examples is the only reliable check that markers land where the labels say;
``tasktransfer data render`` writes one such sheet per split.
"""

from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw

from ..atomic import atomic_path
from ..splits import iter_split
from .markers import _font


def render_row(row: dict, height: int = 360) -> Image.Image:
    """A sheet with the row's images scaled to ``height`` (nearest-neighbour, markers stay crisp) and its text."""
    images = [Image.open(io.BytesIO(b)).convert("RGB") for b in row["images"]]
    scaled = [im.resize((max(1, round(im.width * height / im.height)), height), Image.Resampling.NEAREST)
              for im in images]
    gap = 8
    width = max(sum(im.width for im in scaled) + gap * (len(scaled) - 1), 480)
    font = _font(14)
    lines = []
    for para in (row["question"] + f"\nAnswer: ({row['answer']})   id: {row['id']}").split("\n"):
        lines += textwrap.wrap(para, width=max(40, width // 8)) or [""]
    text_h = 18 * len(lines) + 12
    sheet = Image.new("RGB", (width, height + text_h), (255, 255, 255))
    x = 0
    for im in scaled:
        sheet.paste(im, (x, 0))
        x += im.width + gap
    draw = ImageDraw.Draw(sheet)
    for k, line in enumerate(lines):
        draw.text((6, height + 6 + 18 * k), line, font=font, fill=(0, 0, 0))
    return sheet


def render_split_example(split_path: str | os.PathLike[str], out: str | os.PathLike[str], index: int = 0) -> Path:
    """Write the ``index``-th row of a split as a PNG sheet at ``out``."""
    for k, row in enumerate(iter_split(split_path)):
        if k == index:
            with atomic_path(out, suffix=".png") as tmp:
                render_row(row).save(tmp, format="PNG")
            return Path(out)
    raise ValueError(f"{split_path} has no row {index}")
