"""Load a base model and its processor: the built-in tiny model or a real Qwen2.5-VL.

A model entry in config is either ``tiny`` (built by the workflow into a local folder, with
a marker file) or a hub id / local path of a real checkpoint (cluster). Real models load
with ``AutoProcessor`` (which on a cluster has torchvision for the video processor); the
tiny one with the image-only processor so it runs on the CPU wheel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .tiny import MARKER_FILE


def is_tiny(path: str | Path) -> bool:
    return (Path(path) / MARKER_FILE).exists()


def load_processor(path: str | Path):
    if is_tiny(path):
        from .processor import ImageOnlyQwen2_5_VLProcessor

        processor = ImageOnlyQwen2_5_VLProcessor.from_pretrained(str(path))
    else:
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(str(path))
    if getattr(processor, "image_processor", None) is None:
        raise ValueError(f"{path}: processor has no image processor (got {type(processor).__name__})")
    return processor


def placement(device: str, visible_gpus: int) -> dict[str, Any]:
    """``from_pretrained`` keywords that place the model for ``device``.

    Plain ``"cuda"`` with several visible GPUs (a Slurm job granted ``eval_gpus: 2`` for the
    32B model) shards the layers across all of them, because bf16 32B weights alone nearly
    fill one 80 GB GPU. An explicit ``"cuda:N"`` (one training rank) or a single GPU keeps
    the whole model on one device.
    """
    if device == "cuda" and visible_gpus > 1:
        # transformers' "auto" balances decoder layers over the visible GPUs and never
        # splits a decoder layer or vision block (the model's _no_split_modules).
        return {"device_map": "auto"}
    return {}


def load_model(path: str | Path, dtype: str = "float32", device: str = "cpu", **kwargs: Any):
    """Load ``Qwen2_5_VLForConditionalGeneration`` in eval mode with the given dtype.

    Inputs for a sharded model go to ``model.device`` (where the embeddings live);
    accelerate's hooks move activations between GPUs.
    """
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    visible = torch.cuda.device_count() if device == "cuda" else 0
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"{path}: device {device!r} requested but no CUDA GPU is visible to this process")
    where = {} if "device_map" in kwargs else placement(device, visible)
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(path), dtype=torch_dtype, **where, **kwargs)
    if "device_map" not in where and "device_map" not in kwargs:
        model = model.to(device)
    return model.eval()
