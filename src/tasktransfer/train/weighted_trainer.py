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
from .weighted_loss import task_token_counts, tla_as_token_weights, vitw_loss, weighted_token_count


def _weights(batch: dict[str, Any]) -> torch.Tensor:
    w = batch.get("loss_weights")
    return w if w is not None else torch.ones(batch["labels"].shape[0])


class WeightedLossTrainer(Trainer):
    """Trainer with VITW loss; the vision tower runs without autograd.

    ``loss_aggregation="task"`` gives task-level aggregation (TLA) over each optimizer
    step instead, from batches' ``task_ids`` and the per-task ``task_weights``.
    """

    def __init__(self, *args: Any, loss_aggregation: str = "token", task_weights: list[float] | None = None,
                 **kwargs: Any) -> None:
        if loss_aggregation not in ("token", "task"):
            raise ValueError(f"`loss_aggregation` is {loss_aggregation!r}; expected 'token' or 'task'")
        if loss_aggregation == "task" and not task_weights:
            raise ValueError("task-level aggregation needs `task_weights` (one per mixture task)")
        self.loss_aggregation = loss_aggregation
        self.task_weights = torch.tensor(task_weights or [], dtype=torch.float32)
        super().__init__(*args, **kwargs)
        self.loss_is_scaled_for_ga = True  # normalised by the step's weighted token count
        detach_vision_tower(self.model)  # after the constructor enabled checkpointing

    def _get_num_items_in_batch(self, batch_samples: list, device: torch.device) -> torch.Tensor | None:
        if not batch_samples:
            return None
        if self.loss_aggregation == "task":
            n = len(self.task_weights)
            counts = sum(task_token_counts(b["labels"], b["task_ids"], n) for b in batch_samples).to(device)
            if self.args.average_tokens_across_devices and self.args.world_size > 1:
                counts = self.accelerator.gather(counts).view(-1, n).sum(dim=0)
            return tla_as_token_weights(batch_samples, self.task_weights, counts.float().cpu()).to(device)
        count = sum(weighted_token_count(b["labels"], _weights(b)) for b in batch_samples).to(device)
        if self.args.average_tokens_across_devices and self.args.world_size > 1:
            count = self.accelerator.gather(count).sum()
        return count

    def compute_loss(self, model, inputs, return_outputs: bool = False, num_items_in_batch=None):
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        weights = inputs.pop("loss_weights", None)
        inputs.pop("task_ids", None)
        outputs = model(**inputs)
        if weights is None:
            weights = torch.ones(labels.shape[0], device=labels.device)
        loss = vitw_loss(outputs.logits, labels, weights, denominator=num_items_in_batch)
        if num_items_in_batch is not None and self.args.average_tokens_across_devices:
            # data parallelism averages gradients over ranks; the denominator already covers them all
            loss = loss * self.accelerator.num_processes
        return (loss, outputs) if return_outputs else loss
