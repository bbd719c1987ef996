"""The authors' released per-seed PGF files bundled with the package (reference_data/)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_FILES = {
    "Qwen2.5-VL-3B": "task_transferability_data_perfection_gap_factor_qwen-2.5vl-3B-instruct.csv",
    "Qwen2.5-VL-7B": "task_transferability_data_perfection_gap_factor_qwen-2.5vl-7B-instruct.csv",
    "Qwen2.5-VL-32B": "task_transferability_data_perfection_gap_factor_qwen-2.5vl-32B-instruct.csv",
}


def bundled_reference() -> dict[str, Path]:
    """``{model name: path}`` of the three released files, smallest model first."""
    root = resources.files("tasktransfer").joinpath("reference_data")
    out = {}
    for name, filename in _FILES.items():
        path = Path(str(root.joinpath(filename)))
        if not path.exists():
            raise FileNotFoundError(f"{path}: bundled reference file missing from the installation")
        out[name] = path
    return out
