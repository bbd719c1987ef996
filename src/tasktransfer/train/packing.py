"""Sequence packing: train on a per-device batch as one row with no padding tokens.

The padded collator (:class:`~tasktransfer.train.dataset.SupervisedCollator`) pads every
example to the longest one of its batch, so attention and MLPs also run over pad tokens.
:class:`PackingCollator` keeps exactly the same examples per micro-batch (so the global
batch of 16 examples stays 16 examples) but concatenates their real tokens into a single
row. The training objective is unchanged, up to floating-point summation order:

* **Positions.** Qwen2.5-VL rotates queries and keys with 3-D mRoPE positions from the
  model's own ``get_rope_index``. It is called on the padded batch with its attention mask,
  exactly as the padded forward does, so every packed example gets the positions it would
  have had alone (starting at 0); they are concatenated without change.
* **Isolation.** transformers 5 (``Qwen2_5_VLTextModel``) accepts ``position_ids`` of shape
  ``(4, 1, L)``: row 0 holds plain text positions, used only to build the attention mask,
  rows 1-3 the mRoPE positions. Row 0 restarts at 0 for each example and no 2-D
  ``attention_mask`` is passed; ``masking_utils.find_packed_sequence_indices`` then splits
  the row where positions do not step by one and builds a block-diagonal causal mask (sdpa,
  eager, flex), and flash-attention 2/3 take the same row 0 as varlen ``cu_seqlens``
  (``prepare_fa_kwargs_from_position_ids``). No example attends to another. Packed batches
  carry ``use_cache=False``: the config's default ``use_cache=True`` makes the model create
  a cache, and with a cache the mask builder skips packed detection, letting examples
  attend to each other (measured on the tiny model: logits off by ~0.45 instead of 2e-7).
* **Loss.** Only answer tokens are supervised, never the first token of an example, so no
  loss term crosses a boundary (checked). Per-example ``loss_weights`` (VITW) and
  ``task_ids`` (TLA) become per-token tensors of the row, each token carrying its example's
  value, which :mod:`~tasktransfer.train.weighted_loss` accepts unchanged.

Images keep their order (``pixel_values`` and ``image_grid_thw`` are passed through): the
vision tower already encodes every image separately.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from .weighted_loss import IGNORE_INDEX

# Attention back-ends that isolate packed examples from ``position_ids`` alone (see module docstring).
PACKING_ATTENTION = ("sdpa", "eager", "flex_attention", "flash_attention_2", "flash_attention_3")

RopeIndex = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def rope_index_of(model) -> RopeIndex:
    """The ``get_rope_index`` of a (possibly peft- or DeepSpeed-wrapped) Qwen2.5-VL model.

    Refuses models that cannot take packed rows: a class other than Qwen2.5-VL (its text
    model is what accepts the extra text-position row) or an attention back-end that would
    not isolate the packed examples.
    """
    for module in model.modules():
        if type(module).__name__ == "Qwen2_5_VLModel" and hasattr(module, "get_rope_index"):
            attn = getattr(module.config, "_attn_implementation", None)
            if attn not in PACKING_ATTENTION:
                raise ValueError(f"`packing: true` needs one of the attention implementations {list(PACKING_ATTENTION)} "
                                 f"(they isolate packed examples); the model uses {attn!r}. Set `packing: false`")
            return module.get_rope_index
    raise ValueError(f"`packing: true` supports Qwen2.5-VL models only (packed rows need its 3-D mRoPE positions); "
                     f"got {type(model).__name__}. Set `packing: false`")


def pack_batch(enc: dict[str, Any], rope_index: RopeIndex) -> dict[str, Any]:
    """Turn a right-padded supervised batch of ``B`` examples into one unpadded row.

    Returns ``input_ids``, ``mm_token_type_ids``, ``labels`` of shape ``(1, L)`` with ``L``
    the number of real tokens, ``position_ids`` ``(4, 1, L)`` (text positions, then mRoPE),
    the images unchanged, ``use_cache=False`` and, when present, per-token
    ``loss_weights`` / ``task_ids`` ``(1, L)``. There is no ``attention_mask`` on purpose:
    a 2-D mask would switch off the packed-sequence mask.
    """
    input_ids, mask, labels = enc["input_ids"], enc["attention_mask"], enc["labels"]
    if "mm_token_type_ids" not in enc:
        raise ValueError("packing needs the processor's `mm_token_type_ids` (Qwen2.5-VL processor) to place images")
    mask = mask.bool()
    lengths = mask.sum(dim=1)
    steps = torch.arange(mask.shape[1])[None, :]
    if not torch.equal(mask, steps < lengths[:, None]):
        raise ValueError("packing expects right-padded batches (real tokens first in every row)")
    if torch.any(lengths == 0):
        raise ValueError("packing got an example with no tokens")
    starts = torch.cumsum(lengths, 0) - lengths
    keep = mask.reshape(-1)
    flat_labels = labels.reshape(-1)[keep]
    if torch.any(flat_labels[starts] != IGNORE_INDEX):
        raise ValueError("packing needs the first token of every example unsupervised (label -100); "
                         "otherwise the previous example's last token would be trained to predict it")
    with torch.no_grad():
        mrope, _ = rope_index(input_ids, mm_token_type_ids=enc["mm_token_type_ids"],
                              image_grid_thw=enc.get("image_grid_thw"), attention_mask=mask.long())
    text = torch.cat([torch.arange(int(n)) for n in lengths.tolist()]).to(mrope.dtype)
    position_ids = torch.cat([text[None, None, :], mrope[:, mask][:, None, :]], dim=0)
    out: dict[str, Any] = {
        "input_ids": input_ids.reshape(-1)[keep][None, :],
        "mm_token_type_ids": enc["mm_token_type_ids"].reshape(-1)[keep][None, :],
        "labels": flat_labels[None, :],
        "position_ids": position_ids,
        "use_cache": False,
    }
    for key, value in enc.items():
        if key not in out and key not in ("attention_mask", "loss_weights", "task_ids"):
            out[key] = value  # pixel_values, image_grid_thw: one entry per image, order kept
    for key in ("loss_weights", "task_ids"):
        if key in enc:
            per_example = torch.as_tensor(enc[key])
            if per_example.shape != lengths.shape:
                raise ValueError(f"`{key}` has shape {tuple(per_example.shape)}; expected one value per example "
                                 f"({lengths.shape[0]},)")
            out[key] = torch.repeat_interleave(per_example, lengths)[None, :]
    return out


class PackingCollator:
    """Wrap a padded collator: same examples per batch, packed into one row (:func:`pack_batch`)."""

    def __init__(self, collator: Callable[[list[dict[str, Any]]], dict[str, Any]], rope_index: RopeIndex) -> None:
        self.collator = collator
        self.rope_index = rope_index

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        return pack_batch(self.collator(batch), self.rope_index)
