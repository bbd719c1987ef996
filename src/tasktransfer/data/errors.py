"""Error kinds of the data builders, split by what the runner does with them.

A *bad record* (corrupt image, missing field, unsafe path) is skipped and counted with
its reason, so one broken file never kills a multi-hour build; a *filtered* record was
valid but failed a construction rule (too few keypoints, low annotator agreement) and is
counted separately, because it says nothing about data quality. Anything else is fatal.
"""

from __future__ import annotations

import os


class DataError(ValueError):
    """Base class of the data-building errors (a ``ValueError`` so the CLI prints one line)."""


class BadRecord(DataError):
    """A record that cannot be used; skipped and counted under ``reason``.

    ``file`` and ``record`` name where it came from, so the message always points at the
    exact place to look.
    """

    reason = "bad_record"

    def __init__(self, message: str, *, file: str | os.PathLike[str] | None = None, record: str | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.record = record
        self.detail = message
        where = ", ".join(p for p in (self.file and f"file {self.file}", record and f"record {record}") if p)
        super().__init__(f"{where}: {message}" if where else message)


class MissingField(BadRecord):
    """A required field is absent or has the wrong type."""

    reason = "missing_field"


class CorruptImage(BadRecord):
    """An image that cannot be decoded (truncated, not an image, unsupported)."""

    reason = "corrupt_image"


class UnsafePath(BadRecord):
    """A path in the annotations that would leave the dataset root."""

    reason = "unsafe_path"


class MissingFile(BadRecord):
    """A file the annotations point at does not exist."""

    reason = "missing_file"


class Filtered(Exception):
    """A valid record rejected by a construction rule; ``reason`` names the rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SkipRatioExceeded(DataError):
    """Too many bad records: the build is refused rather than silently shrunk."""


def require(obj: dict, key: str, types: type | tuple[type, ...], *, file: str | os.PathLike[str] | None, record: str):
    """Return ``obj[key]`` if present with one of ``types``; else raise :class:`MissingField`."""
    if not isinstance(obj, dict) or key not in obj or obj[key] is None:
        raise MissingField(f"missing field `{key}`", file=file, record=record)
    value = obj[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
        names = "/".join(t.__name__ for t in _as_tuple(types))
        raise MissingField(
            f"field `{key}` is {type(value).__name__} {value!r:.60}; expected {names}", file=file, record=record
        )
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)
