"""Near-duplicate leakage check: perceptual hashes of BLINK images vs raw training images.

BLINK's marked images (rings, boxes, labels drawn on, often re-encoded) never equal a raw
image byte for byte, so content hashes cannot find them. A difference hash (dHash: signs
of brightness steps on a grey thumbnail, 64 horizontal + 64 vertical bits) barely moves
under markers, resizing or JPEG: on BLINK val images, drawing four more markers changed
at most 3 bits of either half, while two different photos differed in 25 of 64. A raw
image within ``max_bits`` (default 6) of a BLINK image in *both* halves is left out of
training; requiring both halves keeps smooth, low-texture images from matching by chance.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image

from ..atomic import write_text
from ..splits import iter_split

PREFIX = "dhash:"
DEFAULT_MAX_BITS = 6


def _bits64(bits: np.ndarray) -> int:
    return int(np.packbits(bits).view(">u8")[0])


def dhash(image: Image.Image) -> int:
    """128-bit difference hash (horizontal half in the high 64 bits), independent of size and encoding."""
    grey = image.convert("L")
    gh = np.asarray(grey.resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    gv = np.asarray(grey.resize((8, 9), Image.Resampling.BOX), dtype=np.int16)
    return (_bits64((gh[:, 1:] > gh[:, :-1]).flatten()) << 64) | _bits64((gv[1:, :] > gv[:-1, :]).flatten())


class NearDupIndex:
    """A set of hashes answering "is any within ``max_bits`` of this one in both halves?"."""

    def __init__(self, hashes: Iterable[int], max_bits: int = DEFAULT_MAX_BITS) -> None:
        unique = sorted(set(hashes))
        self.high = np.array([h >> 64 for h in unique], dtype=np.uint64)
        self.low = np.array([h & (2**64 - 1) for h in unique], dtype=np.uint64)
        self.max_bits = max_bits

    def __len__(self) -> int:
        return len(self.high)

    def matches(self, h: int) -> bool:
        if not len(self.high):
            return False
        close_h = np.bitwise_count(self.high ^ np.uint64(h >> 64)) <= self.max_bits
        close_v = np.bitwise_count(self.low ^ np.uint64(h & (2**64 - 1))) <= self.max_bits
        return bool((close_h & close_v).any())


def load_hashes(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[int]:
    """Hashes from files of ``dhash:<32 hex>`` lines (anything after whitespace is a comment)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = []
    for p in map(Path, paths):
        if not p.is_file():
            raise FileNotFoundError(f"near-duplicate hash file {p} not found")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            token = line.split("#", 1)[0].split()
            if not token:
                continue
            if not token[0].startswith(PREFIX):
                raise ValueError(f"{p}, line {n}: expected 'dhash:<32 hex digits>', got {token[0]!r}")
            try:
                out.append(int(token[0][len(PREFIX):], 16))
            except ValueError:
                raise ValueError(f"{p}, line {n}: {token[0]!r} is not hexadecimal") from None
    return out


def write_split_hashes(split_path: str | os.PathLike[str], out: str | os.PathLike[str]) -> int:
    """Write the dHash of every image of a split (e.g. BLINK val of a task), one per line; return the count."""
    lines = []
    for row in iter_split(split_path):
        for k, data in enumerate(row["images"]):
            with Image.open(io.BytesIO(data)) as im:
                lines.append(f"{PREFIX}{dhash(im):032x}  {row['id']}/{k + 1}")
    write_text(out, "\n".join(lines) + ("\n" if lines else ""))
    return len(lines)
