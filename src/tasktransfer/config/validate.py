"""Validate a study config: JSON schema first, then cross-references the schema cannot express.

Messages name the key path (``tasks.Counting.lr``), the bad value and what was expected,
so a typo in a 200-line config is found in one read.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from ..tasks import TASKS


class ConfigError(ValueError):
    """The configuration is invalid; the message says where and what was expected."""


def schema_path() -> Path:
    return Path(__file__).with_name("schema.yaml")


def _schema() -> dict[str, Any]:
    return yaml.safe_load(schema_path().read_text())


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _subschema(schema: dict, path) -> dict:
    node = schema
    for part in path:
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
        props = node.get("properties", {})
        if isinstance(part, str) and part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif "items" in node:
            node = node["items"]
        else:
            return {}
    if "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _describe(error, schema: dict) -> str:
    where = _key(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(_subschema(schema, error.absolute_path).get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        hints = []
        for name in extra:
            close = difflib.get_close_matches(name, allowed, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return f"config key `{where}`: unknown key {', '.join(hints)}; expected one of: {', '.join(allowed)}"
    if v == "required":
        return f"config key `{where}`: {error.message}"
    if v == "enum":
        return f"config key `{where}`: value {error.instance!r} is not allowed; expected one of {error.validator_value}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        op = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}[v]
        return f"config key `{where}`: value {error.instance!r} is out of range; expected {op} {error.validator_value}"
    if v == "type":
        return f"config key `{where}`: value {error.instance!r} has the wrong type; expected {error.validator_value}"
    if v == "oneOf" and where.startswith("tasks."):
        return f"config key `{where}`: give exactly one of `epochs` or `max_steps`"
    return f"config key `{where}`: {error.message}"


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """Raise :class:`ConfigError` for the first problems found; return ``config`` unchanged."""
    import jsonschema

    schema = _schema()
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), _key(e.absolute_path)))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(_describe(e, schema) for e in errors[:5]))
    _check_references(config)
    return config


def _check_references(config: dict[str, Any]) -> None:
    data = config["data"]
    generated = (data.get("generated") or {}).get("tasks") or {}
    problems = []
    for task in config["tasks"]:
        if task in TASKS:
            continue
        if data["mode"] == "generated" and task in generated:
            continue
        where = "data.generated.tasks" if data["mode"] == "generated" else "the BLINK tasks"
        close = difflib.get_close_matches(task, list(TASKS) + list(generated), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            f"config key `tasks.{task}`: unknown task{hint}; expected a BLINK task "
            f"({', '.join(TASKS)}) or a task defined in {where}"
        )
    known = set(config["tasks"])
    for name in (config.get("evaluation") or {}).get("tasks") or []:
        if name not in TASKS and name not in generated:
            problems.append(f"config key `evaluation.tasks`: unknown task {name!r}")
    for kind, groups in (config.get("categories") or {}).items():
        for group, members in groups.items():
            for m in members:
                if m not in known:
                    problems.append(f"config key `categories.{kind}.{group}`: task {m!r} is not in `tasks`")
    if data["mode"] == "raw" and not data.get("raw_root"):
        problems.append("config key `data.raw_root`: required when `data.mode` is 'raw'")
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return check_config(config)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
