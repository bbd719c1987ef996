"""Which code produced a result: the git commit and whether the tree had local edits."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: str | Path) -> dict[str, Any]:
    """Commit, branch and dirty state of the repository holding ``root``.

    Returns ``{"commit": None, ...}`` outside a git checkout (e.g. an unpacked release),
    so a manifest can always be written; ``dirty_files`` lists what differs from the
    commit, because "dirty" alone does not tell whether the edit mattered.
    """
    root = Path(root)
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "branch": None, "dirty": None, "dirty_files": []}
    status = _git(root, "status", "--porcelain", "--untracked-files=no") or ""
    files = sorted(line[3:] for line in status.splitlines() if line.strip())
    # Porcelain lines are "XY path": the status columns may be blanks, so no strip().
    return {
        "commit": commit.strip(),
        "branch": (_git(root, "rev-parse", "--abbrev-ref", "HEAD") or "").strip() or None,
        "dirty": bool(files),
        "dirty_files": files,
    }
