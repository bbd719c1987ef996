"""WikiArt painting-style classification reader (27 styles), Parquet or image folders.

Two on-disk forms of the same splits (train 4,493 / valid 1,295 / test 629):

* Parquet as the Hugging Face hub serves it: ``<split>-*.parquet`` (or ``<split>/*.parquet``)
  anywhere under the root, columns ``image_file_path``, ``image`` (``{bytes, path}``) and
  ``labels`` (class index into :data:`STYLES`);
* image folders as the zip archives unpack: ``<root>/<split>/<Style>/<file>.jpg``.

Parquet images come back as bytes (the whole split is ~200 MB, fine to hold); folder
images as paths, read when an example needs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

from ..errors import BadRecord, MissingField

# Class order of the dataset's ClassLabel feature (index = `labels` value).
STYLES: tuple[str, ...] = (
    "Realism", "Art_Nouveau_Modern", "Analytical_Cubism", "Cubism", "Expressionism", "Action_painting",
    "Synthetic_Cubism", "Symbolism", "Ukiyo_e", "Naive_Art_Primitivism", "Post_Impressionism", "Impressionism",
    "Fauvism", "Rococo", "Minimalism", "Mannerism_Late_Renaissance", "Color_Field_Painting", "High_Renaissance",
    "Romanticism", "Pop_Art", "Contemporary_Realism", "Baroque", "New_Realism", "Pointillism",
    "Northern_Renaissance", "Early_Renaissance", "Abstract_Expressionism",
)
SPLITS = ("train", "valid", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Painting:
    """One labelled painting: either ``data`` (Parquet) or ``path`` relative to the root."""

    key: str
    style: int
    path: str | None = None
    data: bytes | None = None

    @property
    def style_name(self) -> str:
        return STYLES[self.style]


def parquet_files(root: str | os.PathLike[str], split: str) -> list[Path]:
    """The Parquet shards of ``split`` under ``root``, in name order (may be empty)."""
    root = Path(root)
    found = set(root.rglob(f"{split}-*.parquet")) | set(root.rglob(f"{split}/*.parquet"))
    return sorted(found)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"WikiArt painting-style has no split {split!r}; expected one of {list(SPLITS)}")


def read_parquet(files: list[Path]) -> Iterator[Painting | BadRecord]:
    """Yield paintings from hub-layout Parquet shards; bad rows come back as errors."""
    for file in files:
        pf = pq.ParquetFile(file)
        names = pf.schema_arrow.names
        missing = [c for c in ("image", "labels") if c not in names]
        if missing:
            raise ValueError(f"{file}: missing column(s) {', '.join(missing)}; expected image_file_path, image, labels")
        columns = [c for c in ("image_file_path", "image", "labels") if c in names]
        row = 0
        for batch in pf.iter_batches(batch_size=256, columns=columns):
            for obj in batch.to_pylist():
                record = f"row {row}" + (f" ({obj['image_file_path']})" if obj.get("image_file_path") else "")
                key = obj.get("image_file_path") or f"{file.name}:{row}"
                row += 1
                label, image = obj.get("labels"), obj.get("image")
                if not isinstance(label, int) or not 0 <= label < len(STYLES):
                    yield MissingField(f"field `labels` is {label!r}; expected a class index 0..{len(STYLES) - 1}",
                                       file=file, record=record)
                elif not isinstance(image, dict) or not image.get("bytes"):
                    yield MissingField("field `image` has no bytes; expected an encoded image", file=file,
                                       record=record)
                else:
                    yield Painting(key=str(key), style=label, data=image["bytes"])


def read_folders(root: Path, split: str) -> Iterator[Painting | BadRecord]:
    """Yield paintings from ``<root>/<split>/<Style>/<file>``; unknown style folders are errors."""
    base = root / split
    for style_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        if style_dir.name not in STYLES:
            yield MissingField(f"unknown style folder {style_dir.name!r}; expected one of the 27 WikiArt styles",
                               file=style_dir, record=style_dir.name)
            continue
        label = STYLES.index(style_dir.name)
        for file in sorted(style_dir.iterdir()):
            if file.suffix.lower() in IMAGE_SUFFIXES:
                rel = file.relative_to(root).as_posix()
                yield Painting(key=rel, style=label, path=rel)


def read_wikiart(root: str | os.PathLike[str], split: str) -> Iterator[Painting | BadRecord]:
    """Yield the paintings of ``split`` from whichever form ``root`` holds (Parquet first)."""
    _check_split(split)
    root = Path(root)
    files = parquet_files(root, split)
    if files:
        yield from read_parquet(files)
    elif (root / split).is_dir():
        yield from read_folders(root, split)
    else:
        raise FileNotFoundError(
            f"{root}: no WikiArt split {split!r}: expected {split}-*.parquet files or a {split}/<Style>/ folder tree"
        )
