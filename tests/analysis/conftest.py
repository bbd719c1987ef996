"""Shared helpers for analysis tests: tiny accuracy tables written as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import json
from types import SimpleNamespace

import numpy as np
import pytest
from safetensors.numpy import save_file

HEADER = ("model", "source", "seed", "target", "n_correct", "n_total")


def _write_rows(path: Path, rows: list[tuple], header: tuple[str, ...] = HEADER) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def acc_rows() -> list[tuple]:
    """Model m, tasks Counting/Jigsaw, single base, two seeds; counts out of 90."""
    rows = [("m", "base", "", "Counting", 45, 90), ("m", "base", "", "Jigsaw", 60, 90)]
    values = {
        ("Counting", "0"): (50, 61), ("Counting", "1"): (40, 59),
        ("Jigsaw", "0"): (46, 60), ("Jigsaw", "1"): (44, 60),
    }
    for (src, seed), (c, j) in values.items():
        rows.append(("m", src, seed, "Counting", c, 90))
        rows.append(("m", src, seed, "Jigsaw", j, 90))
    return rows


@pytest.fixture
def write_rows():
    """Write rows (with a header, default the accuracy columns) to a CSV and return its path."""
    return _write_rows


PREFIX = "base_model.model.model.language_model.layers"


def write_adapter(path: Path, layers: dict[int, tuple[np.ndarray, np.ndarray]], r: int = 2, alpha: int = 4, **extra) -> Path:
    """A peft-style adapter dir: o_proj lora_A (r x in) / lora_B (out x r) per layer, plus decoys
    (q_proj, and a vision-tower o_proj that must be ignored)."""
    path.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for layer, (a, b) in layers.items():
        tensors[f"{PREFIX}.{layer}.self_attn.o_proj.lora_A.weight"] = a.astype(np.float32)
        tensors[f"{PREFIX}.{layer}.self_attn.o_proj.lora_B.weight"] = b.astype(np.float32)
        tensors[f"{PREFIX}.{layer}.self_attn.q_proj.lora_A.weight"] = np.ones((r, a.shape[1]), np.float32)
        tensors[f"{PREFIX}.{layer}.self_attn.q_proj.lora_B.weight"] = np.ones((a.shape[1], r), np.float32)
        tensors[f"base_model.model.model.visual.layers.{layer + 50}.o_proj.lora_A.weight"] = np.ones((r, 3), np.float32)
        tensors[f"base_model.model.model.visual.layers.{layer + 50}.o_proj.lora_B.weight"] = np.ones((3, r), np.float32)
    save_file(tensors, str(path / "adapter_model.safetensors"))
    (path / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": alpha, **extra}))
    return path


def ab(seed: int, r: int = 2, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # multiples of 1/4: exact in bfloat16 too
    return (rng.integers(-4, 5, size=(r, d)) / 4.0, rng.integers(-4, 5, size=(d, r)) / 4.0)


@pytest.fixture
def lora_kit() -> SimpleNamespace:
    """Helpers to write synthetic peft adapters: ``write(path, {layer: (A, B)})``, ``ab(seed)``, ``prefix``."""
    return SimpleNamespace(write=write_adapter, ab=ab, prefix=PREFIX)
