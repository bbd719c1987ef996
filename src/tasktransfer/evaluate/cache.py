"""A results cache that lets a many-adapter evaluation job redo only what changed.

A job that evaluates the base and every adapter of a model declares all their outputs,
so Snakemake reruns (and first deletes) all of them when any one adapter changes. The
cache lives outside the declared outputs (``results/.evalcache/``) and stores each
source's tables under a key that covers everything that determines them: the adapter
bytes, the evaluation splits' bytes, the base model's files (path, size, mtime), the
evaluation settings and the evaluation code version. Sources whose key is cached are
copied from the cache; only the others are evaluated.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

from ..atomic import atomic_dir
from ..train.resume import sha256_file

_FILES = ("predictions.parquet", "accuracy.csv")


def _base_fingerprint(base_model: str | Path) -> list[Any]:
    path = Path(base_model)
    if not path.is_dir():
        return [str(base_model)]
    return [str(path.resolve())] + [
        [p.relative_to(path).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted(path.rglob("*")) if p.is_file()
    ]


def source_key(
    base_model: str | Path,
    adapter: str | Path | None,
    eval_splits: Mapping[str, str | Path],
    settings: Mapping[str, Any],
    split_digests: Mapping[str, str] | None = None,
) -> str:
    """Digest of everything that determines one source's tables (put its name and seed in ``settings``)."""
    digests = split_digests or {t: sha256_file(Path(p)) for t, p in eval_splits.items()}
    adapter_files = (
        {p.name: sha256_file(p) for p in sorted(Path(adapter).iterdir()) if p.name.startswith("adapter_")}
        if adapter is not None else None
    )
    blob = json.dumps({"base": _base_fingerprint(base_model), "adapter": adapter_files,
                       "splits": dict(sorted(digests.items())), "settings": dict(settings)},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class EvalCache:
    """``root/<key>/{predictions.parquet, accuracy.csv}``, written atomically."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def fetch(self, key: str, predictions_out: str | Path, accuracy_out: str | Path) -> bool:
        """Copy a cached entry to the outputs; False if absent."""
        entry = self.root / key
        if not all((entry / f).is_file() for f in _FILES):
            return False
        for name, out in zip(_FILES, (predictions_out, accuracy_out)):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / name, out)
        return True

    def store(self, key: str, predictions: str | Path, accuracy: str | Path) -> None:
        with atomic_dir(self.root / key) as tmp:
            for name, src in zip(_FILES, (predictions, accuracy)):
                shutil.copyfile(src, tmp / name)
