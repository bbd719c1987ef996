"""Builder protocol and registry: one builder per task, found by task name.

A builder has two halves. ``items`` lists lightweight *work items* from the raw dataset
(annotations only, no pixels), so the runner can order, shard and count them cheaply;
``examples`` turns one item into zero or more questions, loading images only then.
Builder modules live in :mod:`tasktransfer.data.builders` and register themselves with
:func:`register_builder`; every module there is imported on first lookup, so adding a
task means adding one module, nothing else.
"""

from __future__ import annotations

import abc
import dataclasses
import importlib
import json
import pkgutil
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterator

from ..splits import Example
from ..tasks import get_task
from .errors import BadRecord

if TYPE_CHECKING:  # pragma: no cover
    from .context import BuildContext


@dataclass(frozen=True)
class Item:
    """One unit of work: what a builder turns into examples.

    ``key`` is unique and stable within the dataset split (it orders and shards the work
    and names the examples); ``source_ids`` are the source images used, written
    ``"<dataset>:<image id>"``, checked against the leakage exclusion list.
    """

    key: str
    source_ids: tuple[str, ...]
    data: Any


@dataclass(frozen=True)
class NoParams:
    """Parameters of a builder that has none."""


class Builder(abc.ABC):
    """Turns one raw dataset into one task's questions (subclass, set the class attributes)."""

    task: ClassVar[str]
    source: ClassVar[str]  # dataset name used in `source` and as the `source_ids` prefix
    splits: ClassVar[tuple[str, ...]] = ("train",)
    Params: ClassVar[type] = NoParams
    #: True when every image gets markers (the benchmark target applies to these).
    marks_images: ClassVar[bool] = True

    @abc.abstractmethod
    def items(self, raw_root: Path, split: str, params: Any) -> Iterator[Item | BadRecord]:
        """List work items from annotations; yield (not raise) a :class:`BadRecord` for a bad one."""

    @abc.abstractmethod
    def examples(self, item: Item, ctx: "BuildContext") -> Iterator[Example]:
        """Yield the questions made from ``item``; raise ``BadRecord``/``Filtered`` to skip it."""


_BUILDERS: dict[str, type[Builder]] = {}
_DISCOVERED = False


def register_builder(cls: type[Builder]) -> type[Builder]:
    """Class decorator: make ``cls`` the builder of ``cls.task`` (a known BLINK task)."""
    get_task(cls.task)
    if cls.task in _BUILDERS and _BUILDERS[cls.task] is not cls:
        raise ValueError(f"two builders for task {cls.task!r}: {_BUILDERS[cls.task].__module__} and {cls.__module__}")
    if not dataclasses.is_dataclass(cls.Params):
        raise TypeError(f"{cls.__name__}.Params must be a dataclass")
    _BUILDERS[cls.task] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    from . import builders

    for mod in sorted(pkgutil.iter_modules(builders.__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{builders.__name__}.{mod.name}")
    _DISCOVERED = True


def builder_tasks() -> list[str]:
    """Tasks that have a builder, sorted."""
    _discover()
    return sorted(_BUILDERS)


def get_builder(task: str) -> Builder:
    """A fresh builder instance for ``task``; a clear error listing the known tasks if none."""
    _discover()
    get_task(task)
    try:
        return _BUILDERS[task]()
    except KeyError:
        raise KeyError(f"no data builder for task {task!r}; builders exist for: {', '.join(builder_tasks())}") from None


def _convert(name: str, text: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is bool:
        if text.lower() in ("1", "true", "yes"):
            return True
        if text.lower() in ("0", "false", "no"):
            return False
        raise ValueError(f"parameter {name}: {text!r} is not a boolean (true/false)")
    if hint in (int, float, str):
        try:
            return hint(text)
        except ValueError:
            raise ValueError(f"parameter {name}: {text!r} is not a valid {hint.__name__}") from None
    if origin in (tuple, list) or origin is types.UnionType or hint is Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            raise ValueError(f"parameter {name}: {text!r} is not valid JSON") from None
        return tuple(value) if origin is tuple else value
    raise ValueError(f"parameter {name}: cannot parse a value of type {hint}")


def make_params(builder: Builder, overrides: dict[str, Any] | None = None) -> Any:
    """Builder parameters: defaults, with ``overrides`` (strings are parsed by field type)."""
    overrides = dict(overrides or {})
    hints = typing.get_type_hints(builder.Params)
    fields = {f.name for f in dataclasses.fields(builder.Params)}
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for {builder.task}; known: {sorted(fields)}")
    values = {k: _convert(k, v, hints[k]) if isinstance(v, str) and hints[k] is not str else v
              for k, v in overrides.items()}
    return builder.Params(**values)


def params_dict(params: Any) -> dict[str, Any]:
    """JSON-ready parameter values (tuples become lists) for cards and example meta."""
    return json.loads(json.dumps(dataclasses.asdict(params)))
