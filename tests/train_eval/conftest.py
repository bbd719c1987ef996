"""Shared fixtures: a tiny Qwen2.5-VL and small synthetic splits, built once per session."""

import pytest
import torch

from tasktransfer.demo.synthetic import blink_like, generate
from tasktransfer.model.tiny import build_tiny_model
from tasktransfer.splits import write_split

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("model") / "tiny", seed=0)


@pytest.fixture(scope="session")
def small_splits(tmp_path_factory):
    """Train and eval splits of two tasks (2- and 4-option), a few dozen rows each."""
    root = tmp_path_factory.mktemp("splits")
    out = {}
    for task, n in (("Counting", 24), ("Relative_Depth", 24)):
        for split, seed in (("train", 0), ("val", 1)):
            path = root / f"{task}.{split}.parquet"
            write_split(path, generate(blink_like(task), split, n, seed))
            out[task, split] = path
    return out


@pytest.fixture(scope="session")
def adapters(tiny_model, small_splits, tmp_path_factory):
    """Two quickly trained adapters with different letter priors."""
    from tasktransfer.train.trainer import TrainSettings, train_lora

    root = tmp_path_factory.mktemp("adapters")
    out = {}
    for task in ("Counting", "Relative_Depth"):
        settings = TrainSettings(lr=2e-2, max_steps=4, global_batch=4, per_device_batch=4, logging_steps=100)
        train_lora(tiny_model, small_splits[task, "train"], root / task, settings, seed=0)
        out[task] = root / task
    return out
