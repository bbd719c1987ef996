from pathlib import Path

import pytest

from tasktransfer.demo.synthetic import SyntheticTask, generate
from tasktransfer.splits import write_split


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    from tasktransfer.model.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="session")
def c_heavy_split(tmp_path_factory) -> Path:
    """A 4-option split whose gold letters are 90% C (moves the tiny model's prior)."""
    path = tmp_path_factory.mktemp("splits") / "train.parquet"
    task = SyntheticTask("C1", 4, 1, {"C": 0.9, "A": 0.05, "B": 0.05})
    write_split(path, generate(task, "train", 24, seed=0))
    return path


@pytest.fixture(scope="session")
def mixed_eval_split(tmp_path_factory) -> Path:
    """Questions with 1 or 2 images and 2 or 4 options, so batches need real padding."""
    path = tmp_path_factory.mktemp("splits") / "eval.parquet"
    rows = list(generate(SyntheticTask("E2", 2, 2, None), "val", 5, seed=1))
    rows += list(generate(SyntheticTask("E4", 4, 1, None), "val", 6, seed=2))
    write_split(path, rows)
    return path
