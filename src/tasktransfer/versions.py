"""Code versions per pipeline stage: the rerun policy for library edits.

Snakemake reruns a job when its params, inputs or entry script change, but it does not see
edits to imported library code. Each stage's params carry its version from
:data:`STAGE_VERSIONS`, so:

- a library change that alters a stage's results bumps that stage's number here; exactly
  that stage and everything downstream then reruns;
- a refactor, a speed-up or a plotting change leaves the numbers alone; nothing reruns.

So that an edit is never *silently* ignored, ``stage_digests.json`` pins a digest of each
stage's source files and ``tests/test_versions.py`` fails when they differ: whoever
changes the code decides (bump the version, or not) and re-pins with
``tasktransfer versions --pin``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

STAGE_VERSIONS: dict[str, int] = {
    "model": 1,
    "data": 2,  # 2: VSR captions whose subject contains the verb rewrite correctly
    "train": 1,
    "eval": 1,
    "analysis": 3,  # 2: PGF heatmap colour limit from non-zero cells, clipping marked on the colour bar
    # 3: personas: ties share average ranks; a label needs nonzero transfer of its sign in every model
}

# Source files whose edits can change a stage's outputs (globs relative to the package).
STAGE_SOURCES: dict[str, tuple[str, ...]] = {
    "model": ("model/tiny.py", "model/processor.py", "model/chat_template.jinja", "data/prompts.py"),
    "data": ("data/**/*.py", "demo/*.py", "splits.py", "tasks.py"),
    "train": ("train/**/*.py", "train/**/*.json", "prompting.py", "model/loading.py"),
    "eval": ("evaluate/**/*.py", "prompting.py", "model/loading.py"),
    "analysis": ("analysis/**/*.py", "analysis/*.yaml"),
}

PACKAGE = Path(__file__).resolve().parent
PIN_FILE = PACKAGE / "stage_digests.json"


def stage_files(stage: str) -> list[Path]:
    files = {p for pattern in STAGE_SOURCES[stage] for p in PACKAGE.glob(pattern) if p.is_file()}
    return sorted(files)


def stage_digest(stage: str) -> str:
    h = hashlib.sha256()
    for path in stage_files(stage):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        h.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def current_pins() -> dict[str, dict[str, object]]:
    return {s: {"version": STAGE_VERSIONS[s], "digest": stage_digest(s)} for s in STAGE_VERSIONS}


def read_pins() -> dict[str, dict[str, object]]:
    return json.loads(PIN_FILE.read_text()) if PIN_FILE.exists() else {}


def write_pins() -> dict[str, dict[str, object]]:
    from .atomic import write_json

    pins = current_pins()
    write_json(PIN_FILE, pins)
    return pins


def unpinned_changes() -> list[str]:
    """Stages whose sources changed since the last pin, each with what to do about it."""
    pinned, now = read_pins(), current_pins()
    problems = []
    for stage, cur in now.items():
        old = pinned.get(stage)
        if old is None or old["digest"] != cur["digest"]:
            problems.append(
                f"stage '{stage}': library code changed since it was pinned. If its results change, "
                f"bump STAGE_VERSIONS['{stage}'] in src/tasktransfer/versions.py (reruns the stage and "
                f"everything downstream); either way re-pin with `tasktransfer versions --pin`."
            )
        elif old["version"] != cur["version"]:
            problems.append(f"stage '{stage}': version changed to {cur['version']} without re-pinning")
    return problems
