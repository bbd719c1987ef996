"""Similarity of tasks' LoRA updates (App. D.4, Figs. 8-10).

For each adapter the update of one module is delta W = B @ A * alpha / r (alpha / sqrt(r)
with rsLoRA), read from peft's ``adapter_model.safetensors`` and ``adapter_config.json``.
Tasks are compared by the cosine of their flattened updates, seed by seed (seed k of one
task against seed k of the other), then averaged over seeds. The default is the last
layer's attention output projection (``o_proj``), the paper's choice; any layer index or
``"all"`` (the per-layer cosines averaged) can be asked for.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"


def _scale(config: dict, module_path: str) -> float:
    """alpha / r for ``module_path``, honouring peft's rank_pattern / alpha_pattern and rsLoRA."""
    r = config.get("r", 8)
    alpha = config.get("lora_alpha", r)
    for key, value in (config.get("rank_pattern") or {}).items():
        if re.fullmatch(rf"(.*\.)?{key}", module_path):
            r = value
    for key, value in (config.get("alpha_pattern") or {}).items():
        if re.fullmatch(rf"(.*\.)?{key}", module_path):
            alpha = value
    return alpha / math.sqrt(r) if config.get("use_rslora") else alpha / r


def _tensor(weights: Path, key: str) -> np.ndarray:
    """One tensor as float64; bfloat16 (which numpy lacks) goes through torch, imported only then."""
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="numpy") as fh:
            return fh.get_tensor(key).astype(np.float64)
    except (TypeError, ValueError):
        with safe_open(str(weights), framework="pt") as fh:
            return fh.get_tensor(key).double().numpy()


def load_deltas(adapter_dir: str | os.PathLike[str], module: str = "o_proj") -> dict[int, np.ndarray]:
    """``{layer index: delta W}`` for every decoder layer's ``module`` in one adapter directory."""
    from safetensors import safe_open

    directory = Path(adapter_dir)
    weights, config_path = directory / ADAPTER_WEIGHTS, directory / ADAPTER_CONFIG
    for f in (weights, config_path):
        if not f.exists():
            raise FileNotFoundError(f"{f}: no such file (expected a peft adapter directory)")
    config = json.loads(config_path.read_text())
    pattern = re.compile(rf"^(?P<path>.*\blayers\.(?P<layer>\d+)\..*\b{re.escape(module)})\.lora_(?P<ab>[AB])(\.[^.]+)?\.weight$")
    found: dict[int, dict[str, np.ndarray]] = {}
    paths: dict[int, str] = {}
    with safe_open(str(weights), framework="numpy") as fh:
        keys = [k for k in fh.keys() if pattern.match(k)]
    for key in keys:
        m = pattern.match(key)
        if m.group("path").split(".layers.")[0].endswith(("visual", "vision_tower")):
            continue
        layer = int(m.group("layer"))
        found.setdefault(layer, {})[m.group("ab")] = _tensor(weights, key)
        paths[layer] = m.group("path")
    if not found:
        raise ValueError(f"{weights}: no LoRA weights for module {module!r} in any decoder layer")
    out = {}
    for layer, ab in sorted(found.items()):
        if set(ab) != {"A", "B"}:
            raise ValueError(f"{weights}: layer {layer} module {module!r} has lora_{''.join(ab)} but not both A and B")
        out[layer] = (ab["B"] @ ab["A"]) * _scale(config, paths[layer])
    return out


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(np.dot(a.ravel(), b.ravel()) / (na * nb)) if na > 0 and nb > 0 else float("nan")


def lora_similarity(
    adapters: Mapping[str, Sequence[str | os.PathLike[str]]], module: str = "o_proj", layer: int | str = -1
) -> tuple[list[str], np.ndarray]:
    """Task x task cosine similarity of LoRA updates, averaged over matched seeds.

    ``adapters`` maps a task to its adapter directories, one per seed, in seed order.
    ``layer`` is an index (negative counts from the last layer present) or ``"all"``.
    """
    tasks = list(adapters)
    if not tasks:
        raise ValueError("lora similarity: no adapters given")
    deltas = {t: [load_deltas(d, module) for d in dirs] for t, dirs in adapters.items()}
    layers = sorted(next(iter(deltas.values()))[0])
    if layer == "all":
        chosen = layers
    else:
        try:
            chosen = [layers[int(layer)]] if int(layer) < 0 else [int(layer)]
            if chosen[0] not in layers:
                raise IndexError(layer)
        except (IndexError, ValueError):
            raise ValueError(f"lora similarity: layer {layer!r} not found; layers present: {layers[0]}..{layers[-1]}") from None
    for t, seeds in deltas.items():
        for k, d in enumerate(seeds):
            missing = [c for c in chosen if c not in d]
            if missing:
                raise ValueError(f"lora similarity: task {t!r} seed #{k} has no {module!r} in layer(s) {missing}")
    n = len(tasks)
    sim = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            pairs = min(len(deltas[tasks[i]]), len(deltas[tasks[j]]))
            vals = [
                _cosine(deltas[tasks[i]][s][c], deltas[tasks[j]][s][c])
                for s in range(pairs) for c in chosen
                if deltas[tasks[i]][s][c].shape == deltas[tasks[j]][s][c].shape
            ]
            sim[i, j] = sim[j, i] = float(np.mean(vals)) if vals else float("nan")
    return tasks, sim
