"""An image-only Qwen2.5-VL processor that needs no torchvision.

The stock ``Qwen2_5_VLProcessor`` insists on a video processor, which imports torchvision;
the CPU torch wheel used here must never sit beside torchvision. Perception tasks use
still images only, so this subclass drops the video processor and keeps the stock
image-token expansion and ``mm_token_type_ids`` behaviour.
"""

from __future__ import annotations

from transformers.models.qwen2_5_vl.processing_qwen2_5_vl import Qwen2_5_VLProcessor


class ImageOnlyQwen2_5_VLProcessor(Qwen2_5_VLProcessor):
    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        super().__init__(image_processor=image_processor, tokenizer=tokenizer, video_processor=None,
                         chat_template=chat_template, **kwargs)
