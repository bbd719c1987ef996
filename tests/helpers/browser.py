"""Headless Chromium for tests that must see a page the way a user's browser shows it.

Debian's ``chromium`` is installed with apt-get when missing and this process may (root),
as the Slurm test cluster is; otherwise the caller skips.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium(install: bool = True) -> str | None:
    """The browser's path, installing Debian's package if allowed; None if unavailable."""
    for name in NAMES:
        if path := shutil.which(name):
            return path
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                   env=env, check=True, capture_output=True, timeout=900)
    return shutil.which("chromium")


def _run(browser: str, page: Path, *flags: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--virtual-time-budget=15000", *flags, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


def rendered_dom(browser: str, page: Path) -> str:
    """The DOM after the page's scripts ran (virtual time lets a React app finish)."""
    return _run(browser, page, "--dump-dom").stdout


def screenshot(browser: str, page: Path, out: Path, size: str = "1400,1000") -> Path:
    _run(browser, page, f"--screenshot={out.resolve()}", f"--window-size={size}")
    return out
