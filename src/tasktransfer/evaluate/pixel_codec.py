"""Lossless byte codes for a processor's ``pixel_values``: pre-encoded images 8x smaller than float32.

An image processor resizes to 8-bit pixels and then rescales and normalizes each channel
element-wise, so within one image a channel's float32 values take at most 256 distinct
bit patterns. Each image is stored as one byte per value plus a per-image table of those
patterns (channels x 256 int32), and decoded by a gather. The table holds bit patterns,
not floats compared by value, so decoding returns the processor's exact bits (``-0.0``
and ``0.0`` stay apart) whatever the processor's arithmetic was. An image whose channel
has more than 256 patterns is not codable (:func:`encode_image` returns ``None``) and is
stored as float32 instead.

Columns of ``pixel_values`` are channel-major (Qwen2-VL's patchify lays out channel,
temporal, patch row, patch column), so channel ``c`` is columns ``c*K .. (c+1)*K - 1``.
A still image fills every temporal slot with the same frame (``temporal_patch_size`` 2
copies); when all slots hold the same bits only the first is stored, halving the size.
A wrong layout only makes more images fall back to float32 or keep every slot; it never
changes a value.
"""

from __future__ import annotations

import torch

LEVELS = 256


def encode_image(patches: torch.Tensor, channels: int, temporal: int = 1) -> tuple[torch.Tensor, torch.Tensor, int] | None:
    """``(codes uint8, table int32 (channels, 256), temporal copies folded)`` of one image's patch rows, or ``None``.

    ``codes`` has ``D / folded`` columns: the ``temporal`` slots of each channel are folded
    into one when they are bit-identical (``folded = temporal``), else kept (``folded = 1``).
    """
    if patches.dtype != torch.float32 or patches.dim() != 2 or patches.shape[1] % channels:
        return None
    n, d = patches.shape
    bits = patches.contiguous().view(torch.int32).reshape(n, channels, d // channels)
    folded = 1
    if temporal > 1 and (d // channels) % temporal == 0:
        slots = bits.reshape(n, channels, temporal, -1)
        if bool((slots == slots[:, :, :1]).all()):
            bits, folded = slots[:, :, 0].contiguous(), temporal
    width = bits.shape[2]
    codes = torch.empty((n, channels, width), dtype=torch.uint8)
    table = torch.zeros((channels, LEVELS), dtype=torch.int32)
    for c in range(channels):
        values, inverse = torch.unique(bits[:, c, :], sorted=True, return_inverse=True)
        if values.numel() > LEVELS:
            return None
        table[c, : values.numel()] = values
        codes[:, c, :] = inverse.to(torch.uint8)
    return codes.reshape(n, channels * width), table, folded


def decode_image(codes: torch.Tensor, table: torch.Tensor, folded: int = 1,
                 out: torch.Tensor | None = None) -> torch.Tensor:
    """float32 ``(N, D)`` patch rows, bit-identical to what :func:`encode_image` was given.

    ``out`` (contiguous float32 ``(N, D)``, e.g. this image's rows of a batch) is filled
    in place, saving a copy; one 1-D gather per channel is ~2.5x faster than one indexed
    gather over all channels.
    """
    n, width = codes.shape
    channels = table.shape[0]
    per_channel = width // channels
    target = torch.empty((n, width * folded), dtype=torch.float32) if out is None else out
    bits = target.view(torch.int32).view(n, channels, folded, per_channel)
    grouped = codes.reshape(n, channels, per_channel)
    for c in range(channels):
        index = grouped[:, c, :].reshape(-1).to(torch.int32)
        bits[:, c, 0, :] = table[c].index_select(0, index).view(n, per_channel)
    if folded > 1:
        bits[:, :, 1:, :] = bits[:, :, :1, :]
    return target
