"""Defensive file access for raw datasets: paths stay inside the root, images decode.

Annotation files name images by relative path; a malformed or hostile one
(``../../etc/passwd``, an absolute path, a symlink out of the tree) is refused before any
file is opened. Image decoding turns every Pillow failure mode into :class:`CorruptImage`
naming the file, so the runner can skip and count it.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import Callable

from PIL import Image

from .errors import CorruptImage, MissingFile, UnsafePath

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

# Decompression-bomb guard: larger than any image in the supported datasets.
Image.MAX_IMAGE_PIXELS = 8192 * 8192


def resolve_under(root: str | os.PathLike[str], rel: str, *, file: str | os.PathLike[str] | None = None,
                  record: str | None = None) -> Path:
    """Return ``root/rel`` resolved, refusing anything that leaves ``root``.

    Absolute paths, ``..`` components reaching outside and symlinks pointing outside are
    all refused with :class:`UnsafePath`; a path inside that does not exist raises
    :class:`MissingFile`.
    """
    root_path = Path(root).resolve()
    if not rel or "\x00" in rel:
        raise UnsafePath(f"empty or invalid image path {rel!r}", file=file, record=record)
    candidate = Path(rel)
    if candidate.is_absolute():
        raise UnsafePath(f"absolute image path {rel!r} refused (must be relative to {root_path})",
                         file=file, record=record)
    resolved = (root_path / candidate).resolve()
    if not resolved.is_relative_to(root_path):
        raise UnsafePath(f"image path {rel!r} escapes the dataset root {root_path}", file=file, record=record)
    if not resolved.is_file():
        raise MissingFile(f"image {rel!r} not found under {root_path}", file=file, record=record)
    return resolved


def decode_error(exc: BaseException) -> str:
    """Pillow's message without object addresses, so data cards are the same bytes every run."""
    return "cannot decode image: " + _ADDRESS.sub("", str(exc))


def open_image(path: str | os.PathLike[str], *, record: str | None = None) -> Image.Image:
    """Decode an image fully and return it as RGB; :class:`CorruptImage` if that fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                im.load()
                return im.convert("RGB") if im.mode != "RGB" else im.copy()
    except FileNotFoundError:
        raise MissingFile("image file not found", file=path, record=record) from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise CorruptImage(decode_error(exc), file=path, record=record) from None


def passthrough_image(path: str | os.PathLike[str], *, record: str | None = None,
                      on_image: Callable[[Image.Image], None] | None = None) -> tuple[bytes, tuple[int, int]]:
    """Return an image's original bytes and (width, height) after checking it decodes.

    Images that get no markers are stored as they are (no re-encode: faster and
    lossless). JPEGs are checked with a reduced-size decode (``draft``), which reads the
    whole entropy-coded stream, so truncation is still caught at a fraction of the cost.
    ``on_image`` sees that (possibly reduced) decoded image, e.g. to hash it.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise MissingFile("image file not found", file=path, record=record) from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            size = im.size
            if im.format not in ("JPEG", "PNG", "WEBP"):
                raise CorruptImage(f"image format {im.format} cannot be passed through; expected JPEG/PNG/WEBP",
                                   file=path, record=record)
            if im.format == "JPEG":
                im.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
            im.load()
            if on_image is not None:
                on_image(im)
    except CorruptImage:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise CorruptImage(decode_error(exc), file=path, record=record) from None
    return data, size


def encode_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    """Encode a marked image as baseline 4:2:0 JPEG, the usual photo encoding (half the cost of 4:4:4).

    Deterministic for a given Pillow/libjpeg-turbo build (the pinned wheel bundles it).
    """
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality, optimize=False, progressive=False, subsampling=2)
    return buf.getvalue()
