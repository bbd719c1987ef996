"""Perceptual hashes survive BLINK-style markers and re-encoding, and separate different photos."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from tasktransfer.data.markers import Point, draw_points
from tasktransfer.data.near_dup import NearDupIndex, dhash, load_hashes

from .conftest import REALSAMPLES

PHOTOS = [REALSAMPLES / "blink" / f"val_Relative_Depth_{k}.jpg" for k in (1, 2)]


def _reencode(im: Image.Image, scale: float, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.resize((round(im.width * scale), round(im.height * scale))).save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("k", [0, 1])
def test_marked_and_reencoded_copy_matches_only_its_source(k):
    rng = random.Random(k)
    photos = [Image.open(p).convert("RGB") for p in PHOTOS]
    index = NearDupIndex([dhash(photos[k])])
    for _ in range(10):
        pts = [Point(rng.uniform(0, 500), rng.uniform(0, 375), label) for label in ("A", "B", "C", "D")]
        copy = _reencode(draw_points(photos[k], pts), rng.choice([0.5, 0.8, 1.5]), rng.choice([60, 90]))
        assert index.matches(dhash(copy))
    assert not index.matches(dhash(photos[1 - k]))


def test_hash_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "h.txt"
    bad.write_text("dhash:" + "0" * 32 + "\nsha256:abc\n")
    with pytest.raises(ValueError, match="line 2"):
        load_hashes(bad)
