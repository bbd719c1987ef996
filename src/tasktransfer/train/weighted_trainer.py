"""A Hugging Face Trainer whose loss is the task-weighted VITW loss over the global batch.

Batches may carry ``loss_weights`` (one weight per example, from a mixture); without them
every weight is 1 and the loss is bit-identical to the stock causal-LM loss. The
denominator is the weighted count of supervised tokens over the whole optimizer step
(all accumulation micro-batches and, with ``average_tokens_across_devices``, all ranks),
so accumulation and data parallelism give the same loss as one big batch.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import Trainer

from .vision import detach_vision_tower
from .weighted_loss import vitw_loss, weighted_token_count


def _weights(batch: dict[str, Any]) -> torch.Tensor:
    w = batch.get("loss_weights")
    return w if w is not None else torch.ones(batch["labels"].shape[0])


class WeightedLossTrainer(Trainer):
    """Trainer with VITW loss; the vision tower runs without autograd."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loss_is_scaled_for_ga = True  # normalised by the step's weighted token count
        detach_vision_tower(self.model)  # after the constructor enabled checkpointing

    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device) -> torch.Tensor | None:
        if not batch_samples:
            return None
        count = sum(weighted_token_count(b["labels"], _weights(b)) for b in batch_samples).to(device)
        if self.args.average_tokens_across_devices and self.args.world_size > 1:
            count = self.accelerator.gather(count).sum()
        return count

    def compute_loss(self, model, inputs, return_outputs: bool = False, num_items_in_batch=None):
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        weights = inputs.pop("loss_weights", None)
        outputs = model(**inputs)
        if weights is None:
            weights = torch.ones(labels.shape[0], device=labels.device)
        loss = vitw_loss(outputs.logits, labels, weights, denominator=num_items_in_batch)
        if num_items_in_batch is not None and self.args.average_tokens_across_devices:
            # data parallelism averages gradients over ranks; the denominator already covers them all
            loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss
