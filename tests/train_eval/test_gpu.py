"""GPU-only paths (bf16 + activation checkpointing, QLoRA); skipped on machines without CUDA."""

import importlib.util

import pytest
import torch
from safetensors.torch import load_file

from tasktransfer.train.trainer import TrainSettings, train_lora

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_bf16_checkpointed_training_on_gpu(tiny_model, small_splits, tmp_path):
    settings = TrainSettings(lr=1e-2, max_steps=3, global_batch=4, per_device_batch=2)  # auto: bf16 + checkpointing
    metrics = train_lora(tiny_model, small_splits["Counting", "train"], tmp_path / "out", settings, seed=0)
    assert metrics["global_steps"] == 3
    assert all(t.numel() for t in load_file(tmp_path / "out/adapter_model.safetensors").values())


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_qlora_trains(tiny_model, small_splits, tmp_path):
    settings = TrainSettings(lr=1e-2, max_steps=2, global_batch=4, per_device_batch=2, quantization="4bit")
    train_lora(tiny_model, small_splits["Counting", "train"], tmp_path / "q", settings, seed=0)
    assert (tmp_path / "q/adapter_model.safetensors").exists()
