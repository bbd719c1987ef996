"""Shared figure style: Agg backend, readable task names, deterministic atomic saving."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from tasktransfer.atomic import atomic_path  # noqa: E402

# PDF font subsetting logs every table at INFO; keep job logs readable.
logging.getLogger("fontTools").setLevel(logging.WARNING)

# Fixed metadata: no creation dates, so the same figure gives the same bytes.
_METADATA = {"png": {"Software": None}, "pdf": {"Creator": None, "Producer": None, "CreationDate": None}}

plt.rcParams.update(
    {
        "font.size": 9,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "svg.hashsalt": "tasktransfer",
        "pdf.fonttype": 42,
    }
)


def label(task: str) -> str:
    """Readable task name: ``Multi-view_Reasoning`` -> ``Multi-view Reasoning``."""
    return task.replace("_", " ")


def save(fig: "plt.Figure", path_stem: str | os.PathLike[str]) -> list[Path]:
    """Save ``fig`` as ``<stem>.png`` and ``<stem>.pdf`` atomically; close it; return the paths."""
    stem = Path(path_stem)
    out = []
    for ext in ("png", "pdf"):
        # Append, never replace: model names contain dots (Qwen2.5-VL-7B).
        target = stem.parent / f"{stem.name}.{ext}"
        with atomic_path(target, suffix=f".{ext}") as tmp:
            fig.savefig(tmp, format=ext, dpi=200, bbox_inches="tight", metadata=_METADATA[ext])
        out.append(target)
    plt.close(fig)
    return out
