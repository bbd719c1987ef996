"""Content checksums of files, trees and configs, cached by size and mtime.

Raw datasets are large; hashing them again on every manifest would dominate a run, so a
checksum is reused while a file's size and modification time are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from ..atomic import write_json

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def config_hash(config: dict[str, Any]) -> str:
    """sha256 of the config as canonical JSON: key order and YAML layout do not matter."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every regular file under ``paths`` (files or directories), sorted, hidden ones skipped."""
    found: set[Path] = set()
    for p in map(Path, paths):
        if p.is_file():
            found.add(p)
        elif p.is_dir():
            found.update(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
    return sorted(found)


class ChecksumCache:
    """sha256 per file, reused while (size, mtime_ns) match; persisted as JSON."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else None
        self._entries: dict[str, list] = {}
        if self.path and self.path.is_file():
            try:
                self._entries = json.loads(self.path.read_text())
            except json.JSONDecodeError:
                self._entries = {}  # a damaged cache only costs time

    def sha256(self, path: str | os.PathLike[str]) -> str:
        p = Path(path).resolve()
        st = p.stat()
        key = str(p)
        cached = self._entries.get(key)
        if cached and cached[0] == st.st_size and cached[1] == st.st_mtime_ns:
            return cached[2]
        digest = sha256_file(p)
        self._entries[key] = [st.st_size, st.st_mtime_ns, digest]
        return digest

    def save(self) -> None:
        if self.path:
            write_json(self.path, self._entries)


def checksum_files(
    paths: Iterable[str | os.PathLike[str]],
    relative_to: str | os.PathLike[str] | None = None,
    cache: ChecksumCache | None = None,
) -> dict[str, dict[str, Any]]:
    """``{path: {"sha256", "bytes"}}`` for every file under ``paths``."""
    cache = cache or ChecksumCache()
    base = Path(relative_to).resolve() if relative_to else None
    out = {}
    for f in iter_files(paths):
        resolved = f.resolve()
        name = str(resolved.relative_to(base)) if base and resolved.is_relative_to(base) else str(f)
        out[name] = {"sha256": cache.sha256(f), "bytes": f.stat().st_size}
    return out
