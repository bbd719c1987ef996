"""Render one question of a canonical split as a PNG: its images in prompt order, the
prompt text and the gold letter, so a person can check a builder's output by eye.
"""

from __future__ import annotations

import io
import os
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..atomic import atomic_path
from ..splits import iter_split


def render_row(row: dict, thumb: int = 220, width_chars: int = 110) -> Image.Image:
    """A sheet with the row's images (numbered, scaled to ``thumb`` px high) above its prompt."""
    images = [Image.open(io.BytesIO(b)).convert("RGB") for b in row["images"]]
    scaled = [im.resize((max(1, round(im.width * thumb / im.height)), thumb), Image.Resampling.BICUBIC)
              for im in images]
    font = ImageFont.load_default()
    lines: list[str] = []
    for para in row["question"].split("\n"):
        lines.extend(textwrap.wrap(para, width_chars) or [""])
    lines += ["", f"answer: ({row['answer']})   id: {row['id']}   source: {row['source']}"]
    gap, line_h = 12, 14
    width = max(sum(im.width for im in scaled) + gap * (len(scaled) + 1), 7 * width_chars + 2 * gap)
    height = thumb + 2 * gap + 18 + line_h * len(lines) + gap
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    x = gap
    for k, im in enumerate(scaled, 1):
        sheet.paste(im, (x, gap + 18))
        draw.text((x, gap), f"image {k}", fill="black", font=font)
        x += im.width + gap
    y = thumb + 2 * gap + 18
    for line in lines:
        draw.text((gap, y), line, fill="black", font=font)
        y += line_h
    return sheet


def render_example(split_path: str | os.PathLike[str], out: str | os.PathLike[str], index: int = 0) -> Path:
    """Write the ``index``-th question of a split as a PNG (atomically); return ``out``."""
    for k, row in enumerate(iter_split(split_path)):
        if k == index:
            with atomic_path(out, suffix=".png") as tmp:
                render_row(row).save(tmp, format="PNG")
            return Path(out)
    raise IndexError(f"{split_path} has no question {index}")
