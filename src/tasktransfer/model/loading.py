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


def load_model(path: str | Path, dtype: str = "float32", device: str = "cpu", **kwargs: Any):
    """Load ``Qwen2_5_VLForConditionalGeneration`` in eval mode with the given dtype."""
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(path), dtype=torch_dtype, **kwargs)
    return model.to(device).eval()
