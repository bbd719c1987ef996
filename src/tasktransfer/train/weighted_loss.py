"""Task-weighted causal-LM losses for training on mixtures of tasks.

VITW (VisATB paper, eq. 2) weights every supervised token by its task's weight and
normalises by the *weighted* number of supervised tokens::

    L = sum_i sum_j sum_k  w_i * CE(t_ijk)  /  sum_i sum_j  w_i * T_ij

so every token of a task counts equally, whatever the length of its answers, and a task
with weight 0 contributes neither loss nor gradient. With all weights 1 this is exactly
the usual mean over supervised tokens (the Hugging Face causal-LM loss).

TLA (task-level aggregation, the paper's baseline) averages the loss within each task
first and then across tasks; it is kept for comparisons because it gives implicitly
smaller weight to tasks with long answers.

Labels follow the Hugging Face convention: ``labels`` has the input's shape, ignored
positions hold ``ignore_index`` and the loss of position ``t`` predicts ``labels[t+1]``.
Losses are computed in float32 whatever the logits' dtype.

Under gradient accumulation or data parallelism the denominator must cover the whole
global batch, not one micro-batch: pass ``denominator`` (the weighted token count of the
global batch, :func:`weighted_token_count` summed over micro-batches and devices).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


def shifted_labels(labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Labels aligned with the logits: position ``t`` holds the token ``t+1`` to predict."""
    return F.pad(labels, (0, 1), value=ignore_index)[..., 1:]


def token_losses(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position cross-entropy (float32, 0 where ignored) and the validity mask, both ``(B, T)``."""
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits shape {tuple(logits.shape)} does not match labels shape {tuple(labels.shape)}")
    target = shifted_labels(labels, ignore_index)
    losses = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]),
        target.reshape(-1).to(logits.device),
        ignore_index=ignore_index,
        reduction="none",
    ).view(target.shape)
    return losses, target.ne(ignore_index)


def _token_weights(weights: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Broadcast per-example ``(B,)`` or per-token ``(B, T)`` weights to ``(B, T)`` float32."""
    weights = torch.as_tensor(weights, device=mask.device, dtype=torch.float32)
    if weights.dim() == 1:
        if weights.shape[0] != mask.shape[0]:
            raise ValueError(f"{weights.shape[0]} example weights for a batch of {mask.shape[0]}")
        weights = weights[:, None].expand_as(mask)
    elif weights.shape != mask.shape:
        raise ValueError(f"token weights of shape {tuple(weights.shape)}; expected {tuple(mask.shape)}")
    if torch.any(weights < 0):
        raise ValueError("loss weights must be non-negative")
    return weights


def weighted_token_count(
    labels: torch.Tensor, weights: torch.Tensor, ignore_index: int = IGNORE_INDEX
) -> torch.Tensor:
    """``sum w * (number of supervised tokens)`` of a micro-batch (VITW's denominator)."""
    mask = shifted_labels(labels, ignore_index).ne(ignore_index)
    return (_token_weights(weights, mask) * mask).sum()


def vitw_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    weights: torch.Tensor,
    denominator: torch.Tensor | float | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> torch.Tensor:
    """Token-level task-weighted loss (VITW); ``weights`` per example ``(B,)`` or per token.

    ``denominator`` defaults to this batch's weighted token count. A batch whose weighted
    count is 0 (all weights 0 or nothing supervised) gives a loss of 0 that still depends
    on the logits, so every rank runs the same backward under data parallelism.

    The numerator is summed per distinct weight value with the same summed cross-entropy
    kernel the Hugging Face loss uses, so all-ones weights give bit-identical values (and
    gradients) to the unweighted loss rather than equal-up-to-rounding ones.
    """
    if logits.shape[:-1] != labels.shape:
        raise ValueError(f"logits shape {tuple(logits.shape)} does not match labels shape {tuple(labels.shape)}")
    target = shifted_labels(labels, ignore_index).to(logits.device)
    mask = target.ne(ignore_index)
    w = _token_weights(weights, mask)
    logp = F.log_softmax(logits.float().reshape(-1, logits.shape[-1]), dim=-1)
    flat_target, flat_w = target.reshape(-1), w.reshape(-1)
    values = torch.unique(flat_w[mask.reshape(-1)])
    total = logp.new_zeros(())
    if len(values) <= _MAX_WEIGHT_GROUPS:
        for value in values.tolist():
            if value == 0.0:
                continue
            group = torch.where(flat_w == value, flat_target, torch.full_like(flat_target, ignore_index))
            total = total + value * F.nll_loss(logp, group, ignore_index=ignore_index, reduction="sum")
    else:  # many distinct per-token weights: one elementwise pass
        per_token = F.nll_loss(logp, flat_target, ignore_index=ignore_index, reduction="none")
        total = (flat_w * per_token).sum()
    if denominator is None:
        denominator = (w * mask).sum()
    denominator = torch.as_tensor(denominator, dtype=torch.float32, device=total.device)
    # keeps the graph (and DDP's collective pattern) when nothing is weighted; no host sync
    return torch.where(denominator > 0, total / denominator.clamp_min(1e-30), logp.sum() * 0.0)


_MAX_WEIGHT_GROUPS = 32


def tla_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    task_ids: torch.Tensor,
    task_weights: dict[int, float] | None = None,
    ignore_index: int = IGNORE_INDEX,
) -> torch.Tensor:
    """Task-level aggregation: mean token loss per task, then a (weighted) mean over tasks.

    Only tasks with at least one supervised token in the batch take part; ``task_weights``
    maps a task id to its weight (default 1).
    """
    losses, mask = token_losses(logits, labels, ignore_index)
    task_ids = torch.as_tensor(task_ids, device=losses.device)
    if task_ids.shape != (labels.shape[0],):
        raise ValueError(f"task_ids has shape {tuple(task_ids.shape)}; expected ({labels.shape[0]},)")
    num = losses.new_zeros(())
    den = losses.new_zeros(())
    for task in torch.unique(task_ids).tolist():
        rows = task_ids == task
        n_tokens = mask[rows].sum()
        if n_tokens == 0:
            continue
        weight = 1.0 if task_weights is None else float(task_weights.get(task, 1.0))
        num = num + weight * losses[rows].sum() / n_tokens
        den = den + weight
    return num / den if den.item() > 0 else losses.sum() * 0.0


def task_token_counts(labels: torch.Tensor, task_ids: torch.Tensor, n_tasks: int,
                      ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Supervised tokens per task in a micro-batch, a ``(n_tasks,)`` float tensor.

    ``task_ids`` is one id per row ``(B,)`` or, for packed rows holding several examples,
    one per token with the labels' shape.
    """
    mask = shifted_labels(labels, ignore_index).ne(ignore_index)
    if task_ids.shape == labels.shape:  # packed rows: per-token task ids
        ids, counts = task_ids.reshape(-1), mask.reshape(-1).float()
    else:
        ids, counts = task_ids, mask.sum(dim=1).float()
    return torch.zeros(n_tasks, dtype=torch.float32).index_add_(0, ids.long().cpu(), counts.cpu())


def tla_as_token_weights(
    batches: list[dict], task_weights: torch.Tensor, counts: torch.Tensor
) -> torch.Tensor:
    """Turn task-level aggregation over a whole optimizer step into VITW weights.

    TLA = sum_t w_t * (task t's token-loss sum / N_t) / sum_{t present} w_t, which is VITW
    with per-example weight w_t / N_t and denominator sum_{t present} w_t. ``counts`` are
    the step's per-task token counts (summed over micro-batches and ranks). Rewrites each
    batch's ``loss_weights`` in place and returns the denominator.
    """
    present = counts > 0
    for batch in batches:
        ids = batch["task_ids"].long().cpu()
        w = task_weights[ids] / counts[ids].clamp_min(1.0)
        batch["loss_weights"] = w.to(batch["labels"].device)
    return (task_weights * present).sum()
