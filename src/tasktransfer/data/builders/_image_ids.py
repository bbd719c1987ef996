"""Source-image identities shared by the part-2 builders (image-level tasks).

Two kinds of id go into an example's ``source_ids``:

* ``"<collection>:<image id>"`` from the annotations (``coco:239417``,
  ``visual_genome:2410408``, ``nights:000/012``), which the runner checks against the
  exclusion list before reading any pixels, and COCO ids are shared by every dataset
  built on COCO (TallyQA, VSR, the forensic set);
* ``"sha256:<32 hex>"`` of the image bytes, the id the BLINK loader records, because
  BLINK's own files carry no source names. Builders compute it for every image they read
  and filter the item (``Filtered("blink_image")``) when it is on the run's exclusion
  list (``--exclude-ids``, the BLINK loader's id file). Art_Style also takes the list as
  the parameter ``exclude_images`` to drop paintings from its pool before sampling.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from typing import TYPE_CHECKING

from ..errors import Filtered
from ..sources.blink import image_source_id

if TYPE_CHECKING:  # pragma: no cover
    from ..context import BuildContext

_COCO_FILE = re.compile(r"(?:COCO_(?:train|val|test)\d{4}_)?0*(\d+)\.(?:jpg|jpeg|png)$", re.IGNORECASE)


def coco_id(file_name: str) -> str | None:
    """``coco:<int id>`` from a COCO file name of either era, else None."""
    m = _COCO_FILE.search(Path(file_name).name)
    return f"coco:{int(m.group(1))}" if m else None


@functools.lru_cache(maxsize=8)
def load_image_ids(spec: str) -> frozenset[str]:
    """Ids from one or more comma-separated files (one id per line, ``#`` comments)."""
    ids: set[str] = set()
    for part in filter(None, (s.strip() for s in spec.split(","))):
        path = Path(part)
        if not path.is_file():
            raise FileNotFoundError(f"exclude_images: id file {path} not found (write it with `tasktransfer data blink`)")
        for line in path.read_text(encoding="utf-8").splitlines():
            sid = line.split("#", 1)[0].strip()
            if sid:
                ids.add(sid)
    return frozenset(ids)


def content_ids(images: list[bytes], ctx: "BuildContext") -> list[str]:
    """Content ids of ``images``; raise ``Filtered("blink_image")`` if one is excluded."""
    ids = [image_source_id(b) for b in images]
    if ctx.is_excluded(ids):
        raise Filtered("blink_image")
    return ids
