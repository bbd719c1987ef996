"""Draw BLINK's visual prompts onto images: circled labelled points and labelled boxes.

BLINK marks a point with a small red ring and puts its label (``A``, ``B``, ``REF``) in
a black tag with white text just above the ring; boxes are outlined and tagged at a
corner. Sizes scale with the image (measured on BLINK val images: a ring of ~12 px and a
~15 px tag on a 500 px wide image) so markers stay legible and equally salient at any
resolution. Drawing uses Pillow's bundled font only, so output bytes do not depend on the
fonts installed on a machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

RED = (255, 0, 0)
BOX_COLORS = ((255, 0, 0), (0, 90, 255), (0, 170, 0), (255, 140, 0))
TAG_BG = (0, 0, 0)
TAG_FG = (255, 255, 255)


@dataclass(frozen=True)
class MarkerStyle:
    """Pixel sizes of one image's markers, derived from its longer side."""

    radius: int
    width: int
    font_size: int
    gap: int

    @classmethod
    def for_size(cls, size: tuple[int, int], scale: float = 1.0) -> "MarkerStyle":
        side = max(size) * scale
        radius = max(3, round(side * 0.012))
        return cls(radius=radius, width=max(1, round(radius / 3)), font_size=max(8, round(side * 0.024)),
                   gap=max(2, round(radius * 0.8)))


@dataclass(frozen=True)
class Point:
    """A point to circle at pixel ``(x, y)`` (x right, y down) with a text label."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels (corners, x right, y down) with a text label."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _tag(draw: ImageDraw.ImageDraw, text: str, anchor_xy: tuple[float, float], style: MarkerStyle,
         image_size: tuple[int, int], above: bool, bg: tuple[int, int, int] = TAG_BG) -> None:
    """Draw a filled label tag centred horizontally on ``anchor_xy``, above or below it."""
    font = _font(style.font_size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(1, style.font_size // 6)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x0 = anchor_xy[0] - w / 2
    y0 = anchor_xy[1] - h if above else anchor_xy[1]
    x0 = min(max(0, x0), image_size[0] - w)
    y0 = min(max(0, y0), image_size[1] - h)
    x0, y0 = round(x0), round(y0)
    draw.rectangle((x0, y0, x0 + w - 1, y0 + h - 1), fill=bg)
    draw.text((x0 + pad - left, y0 + pad - top), text, font=font, fill=TAG_FG)


def draw_points(image: Image.Image, points: Sequence[Point], *, color: tuple[int, int, int] = RED,
                scale: float = 1.0) -> Image.Image:
    """Return a copy of ``image`` with each point ringed and labelled (tag above, or below near the top)."""
    out = image.convert("RGB") if image.mode != "RGB" else image.copy()
    style = MarkerStyle.for_size(out.size, scale)
    draw = ImageDraw.Draw(out)
    r = style.radius
    for p in points:
        draw.ellipse((p.x - r, p.y - r, p.x + r, p.y + r), outline=color, width=style.width)
    for p in points:  # tags after rings so a neighbour's ring never covers a label
        tag_h = style.font_size + 2 * max(1, style.font_size // 6)
        above = p.y - r - style.gap - tag_h >= 0
        anchor_y = p.y - r - style.gap if above else p.y + r + style.gap
        _tag(draw, p.label, (p.x, anchor_y), style, out.size, above)
    return out


def draw_boxes(image: Image.Image, boxes: Sequence[Box], *, colors: Sequence[tuple[int, int, int]] = BOX_COLORS,
               scale: float = 1.0) -> Image.Image:
    """Return a copy of ``image`` with each box outlined in its own colour and tagged at its top-left."""
    out = image.convert("RGB") if image.mode != "RGB" else image.copy()
    style = MarkerStyle.for_size(out.size, scale)
    draw = ImageDraw.Draw(out)
    width = max(2, style.width + 1)
    for k, b in enumerate(boxes):
        draw.rectangle((b.x1, b.y1, b.x2, b.y2), outline=colors[k % len(colors)], width=width)
    for k, b in enumerate(boxes):
        tag_h = style.font_size + 2 * max(1, style.font_size // 6)
        above = b.y1 - tag_h >= 0
        _tag(draw, b.label, (b.x1 + tag_h, b.y1 if above else b.y1 + width), style, out.size, above,
             bg=colors[k % len(colors)])
    return out
