"""Where a run happened: package versions and hardware (CPU, memory, GPUs, driver)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from importlib import metadata
from typing import Any, Iterable

# Packages whose versions can change results; pyproject.toml pins them.
KEY_PACKAGES = (
    "tasktransfer", "torch", "transformers", "peft", "accelerate", "datasets", "tokenizers",
    "safetensors", "pillow", "numpy", "pandas", "pyarrow", "polars", "scipy", "networkx",
    "matplotlib", "seaborn", "snakemake", "snakemake-executor-plugin-slurm",
)


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package, None where it is not installed."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def gpus() -> list[dict[str, str]]:
    """GPUs seen by nvidia-smi (name, memory, driver); empty where there is none.

    nvidia-smi rather than torch: it is cheap, needs no CUDA context, and reports the
    driver version, which torch does not.
    """
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=30,
        )
    except subprocess.TimeoutExpired:
        return []
    if done.returncode != 0:
        return []
    rows = []
    for line in done.stdout.strip().splitlines():
        name, memory, driver = (part.strip() for part in line.split(","))
        rows.append({"name": name, "memory": memory, "driver": driver})
    return rows


def hardware() -> dict[str, Any]:
    """This machine: CPU model and count, memory, GPUs, OS and Python."""
    found = gpus()
    return {
        "hostname": platform.node(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "gpu_count": len(found),
        "gpus": found,
        "gpu_driver": found[0]["driver"] if found else None,
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "os": platform.platform(),
        "python": platform.python_version(),
    }
