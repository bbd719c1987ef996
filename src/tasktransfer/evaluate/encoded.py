"""Evaluation inputs encoded once per (model, task) and read by every evaluation of that model.

Every checkpoint of a model is evaluated on the same questions with the same processor, so
image decoding, the chat template, tokenization and the image processor give the same
tensors each time; per question they cost about as much as the forward pass of a small
model. The ``encode_eval`` rule runs them once per model and task and stores each
question's tensors unpadded (``results/encoded/<model>/<task>.safetensors``); evaluation
jobs left-pad them into batches (:meth:`EncodedInputs.batch`). A batch is bit-identical to
the processor's output for the same rows (``tests/train_eval/test_encoded_inputs.py``), so
predictions do not depend on which path produced them.

Images are stored as byte codes with a per-image table, their duplicated temporal slot
folded (:mod:`.pixel_codec`): 8x smaller than the processor's float32. Each file records the digest of the split it was encoded from and of the
processor files; :meth:`EncodedInputs.check` refuses a file that does not match the split
or model it is used with, naming both.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

from ..atomic import atomic_path
from ..train.resume import sha256_file
from .pixel_codec import decode_image, encode_image
from .scoring import encode_batch

FORMAT = "1"
IMAGE_KEYS = ("pixel_values", "image_grid_thw")
# Files of a model folder that do not change what its processor outputs.
_NOT_PROCESSOR = ("config.json", "generation_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack", ".gguf")


class EncodedInputsError(ValueError):
    """A pre-encoded inputs file that is missing, corrupt, or does not match its split or model."""


def processor_fingerprint(base_model: str | os.PathLike[str]) -> str:
    """Digest of the files the processor is loaded from (weights and model config excluded)."""
    path = Path(base_model)
    if not path.is_dir():
        return f"name:{base_model}"
    h = hashlib.sha256()
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if (not p.is_file() or rel.startswith(".") or "/." in rel or p.name in _NOT_PROCESSOR
                or p.name.endswith(_WEIGHT_SUFFIXES) or p.name.endswith(".index.json")):
            continue
        h.update(rel.encode() + b"\0" + sha256_file(p).encode() + b"\0")
    return h.hexdigest()


def _channels(processor) -> int:
    mean = getattr(processor.image_processor, "image_mean", None)
    return len(mean) if isinstance(mean, (list, tuple)) and mean else 1


def _temporal(processor) -> int:
    value = getattr(processor.image_processor, "temporal_patch_size", None)
    return value if isinstance(value, int) and value > 0 else 1


class _PixelStore:
    """Accumulates images' patch rows: byte-coded where lossless (flat, widths differ), else float32."""

    def __init__(self, channels: int, temporal: int) -> None:
        self.channels, self.temporal = channels, temporal
        self.coded: list[torch.Tensor] = []
        self.raw: list[torch.Tensor] = []
        self.tables: list[torch.Tensor] = []
        self.rows: list[list[int]] = []  # per image: coded?, start (element of codes / row of raw), rows, folded
        self.n_coded = self.n_raw = 0

    def add(self, patches: torch.Tensor) -> None:
        n = patches.shape[0]
        packed = encode_image(patches, self.channels, self.temporal)
        if packed is None:
            self.raw.append(patches.clone())
            self.tables.append(torch.zeros((self.channels, 256), dtype=torch.int32))
            self.rows.append([0, self.n_raw, n, 1])
            self.n_raw += n
        else:
            codes, table, folded = packed
            self.coded.append(codes.reshape(-1))
            self.tables.append(table)
            self.rows.append([1, self.n_coded, n, folded])
            self.n_coded += codes.numel()

    def tensors(self, width: int) -> dict[str, torch.Tensor]:
        return {
            "image_rows": torch.tensor(self.rows, dtype=torch.int64).reshape(-1, 4),
            "pixel_tables": (torch.stack(self.tables) if self.tables
                             else torch.zeros((0, self.channels, 256), dtype=torch.int32)),
            "pixel_codes": torch.cat(self.coded) if self.coded else torch.zeros(0, dtype=torch.uint8),
            "pixel_raw": torch.cat(self.raw) if self.raw else torch.zeros((0, width), dtype=torch.float32),
        }


def encode_rows(processor, rows: Sequence[dict[str, Any]], batch_size: int = 8,
                log: Callable[[str], None] = print) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Unpadded per-question tensors of ``rows`` (split order) and the metadata to re-batch them."""
    pixels = _PixelStore(_channels(processor), _temporal(processor))
    keys: list[str] | None = None
    tokens: dict[str, list[torch.Tensor]] = {}
    lengths, n_images, grids = [], [], []
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        enc = encode_batch(processor, batch)
        if keys is None:
            keys = list(enc.keys())
            shape = tuple(enc["input_ids"].shape)
            unknown = [k for k in keys if k not in IMAGE_KEYS and tuple(enc[k].shape) != shape]
            if unknown or "attention_mask" not in keys or not set(IMAGE_KEYS) <= set(keys):
                raise EncodedInputsError(
                    f"processor {type(processor).__name__} returned keys {keys}; expected per-token tensors, "
                    f"attention_mask and {list(IMAGE_KEYS)} (cannot store {unknown or 'these'})")
            tokens = {k: [] for k in keys if k not in IMAGE_KEYS and k != "attention_mask"}
        elif list(enc.keys()) != keys:
            raise EncodedInputsError(f"processor returned keys {list(enc.keys())} after {keys}")
        patch_start = 0
        grid = enc["image_grid_thw"]
        image_k = 0
        for b, row in enumerate(batch):
            mask = enc["attention_mask"][b]
            n = int(mask.sum())
            if not bool(mask[mask.numel() - n :].all()):
                raise EncodedInputsError(f"question {row['id']}: processor output is not left-padded")
            for k in tokens:
                tokens[k].append(enc[k][b, mask.numel() - n :].clone())
            lengths.append(n)
            n_images.append(len(row["images"]))
            for _ in row["images"]:
                g = grid[image_k]
                n_patches = int(g.prod())
                pixels.add(enc["pixel_values"][patch_start : patch_start + n_patches])
                grids.append(g.clone())
                patch_start += n_patches
                image_k += 1
        if image_k != grid.shape[0] or patch_start != enc["pixel_values"].shape[0]:
            raise EncodedInputsError(f"questions {batch[0]['id']}..{batch[-1]['id']}: images and patches do not "
                                     f"add up ({image_k} of {grid.shape[0]} images, {patch_start} patches)")
    width = enc["pixel_values"].shape[1] if rows else 0
    tensors = {k: (torch.cat(v) if v else torch.zeros(0, dtype=torch.int64)) for k, v in tokens.items()}
    tensors.update({
        "token_offsets": torch.tensor([0, *torch.tensor(lengths, dtype=torch.int64).cumsum(0).tolist()]),
        "image_offsets": torch.tensor([0, *torch.tensor(n_images, dtype=torch.int64).cumsum(0).tolist()]),
        "image_grid_thw": torch.stack(grids) if grids else torch.zeros((0, 3), dtype=torch.int64),
        **pixels.tensors(width),
    })
    if pixels.raw:
        log(f"[encode] {len(pixels.raw)} of {len(pixels.rows)} images have more than 256 values in a channel; "
            "stored as float32")
    meta = {"format": FORMAT, "keys": json.dumps(keys or []), "token_keys": json.dumps(list(tokens)),
            "pad_token_id": str(processor.tokenizer.pad_token_id), "pixel_width": str(width),
            "question_ids": json.dumps([r["id"] for r in rows])}
    return tensors, meta


def write_encoded(out: str | os.PathLike[str], split_path: str | os.PathLike[str], base_model: str | os.PathLike[str],
                  batch_size: int = 8, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Encode every question of ``split_path`` with ``base_model``'s processor into ``out`` (atomically)."""
    from safetensors.torch import save_file

    from ..model.loading import load_processor
    from ..splits import iter_split

    processor = load_processor(base_model)
    rows = list(iter_split(split_path))
    tensors, meta = encode_rows(processor, rows, batch_size, log=log)
    meta.update(split_sha256=sha256_file(Path(split_path)), processor=processor_fingerprint(base_model))
    with atomic_path(out, suffix=".safetensors") as tmp:
        save_file(tensors, str(tmp), metadata=meta)
    summary = {"questions": len(rows), "images": int(tensors["image_rows"].shape[0]),
               "coded_images": int(tensors["image_rows"][:, 0].sum()) if len(rows) else 0,
               "bytes": Path(out).stat().st_size}
    log(f"[encode] {split_path}: {summary['questions']} questions, {summary['images']} images "
        f"({summary['coded_images']} byte-coded), {summary['bytes'] / 1e6:.1f} MB -> {out}")
    return summary


class EncodedInputs:
    """One task's pre-encoded questions; :meth:`batch` gives the processor's left-padded output."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        from safetensors import safe_open

        self.path = Path(path)
        try:
            self._file = safe_open(str(self.path), framework="pt")
            meta = self._file.metadata() or {}
            if meta.get("format") != FORMAT:
                raise EncodedInputsError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            self.meta = meta
            self.keys: list[str] = json.loads(meta["keys"])
            self.token_keys: list[str] = json.loads(meta["token_keys"])
            self.question_ids: list[str] = json.loads(meta["question_ids"])
            self.pad_token_id = int(meta["pad_token_id"])
            self.pixel_width = int(meta["pixel_width"])
            small = ("token_offsets", "image_offsets", "image_grid_thw", "image_rows", "pixel_tables",
                     *self.token_keys)
            self._t = {k: self._file.get_tensor(k) for k in small}
            self._codes = self._file.get_slice("pixel_codes")
            self._raw = self._file.get_slice("pixel_raw")
        except EncodedInputsError as exc:
            raise EncodedInputsError(f"{self.path}: {exc}") from None
        except Exception as exc:  # safetensors raises several types for truncated or foreign files
            raise EncodedInputsError(f"{self.path}: not a readable encoded-inputs file "
                                     f"({type(exc).__name__}: {exc}); rerun rule encode_eval") from exc
        if len(self._t["token_offsets"]) != len(self.question_ids) + 1:
            raise EncodedInputsError(f"{self.path}: {len(self.question_ids)} question ids but "
                                     f"{len(self._t['token_offsets']) - 1} token ranges")

    def __len__(self) -> int:
        return len(self.question_ids)

    def check(self, split_path: str | os.PathLike[str], processor: str | None = None) -> None:
        """Refuse inputs encoded from another split or processor (``processor``: a :func:`processor_fingerprint`)."""
        digest = sha256_file(Path(split_path))
        if digest != self.meta.get("split_sha256"):
            raise EncodedInputsError(
                f"{self.path} was encoded from a split with sha256 {self.meta.get('split_sha256')}, but {split_path} "
                f"has {digest}: stale, rerun rule encode_eval")
        if processor is not None and processor != self.meta.get("processor"):
            raise EncodedInputsError(f"{self.path} was encoded with another processor (files digest "
                                     f"{self.meta.get('processor')}, the model's is {processor}): rerun rule encode_eval")

    def check_questions(self, question_ids: Sequence[str]) -> None:
        """Refuse rows other than the encoded ones, in another order."""
        if list(question_ids) != self.question_ids:
            raise EncodedInputsError(f"{self.path}: question ids differ from the rows given "
                                     f"({len(self.question_ids)} encoded, {len(question_ids)} rows)")

    def _pixels(self, images: list[int]) -> torch.Tensor:
        """The images' patch rows, concatenated, each decoded straight into its rows."""
        rows = self._t["image_rows"]
        out = torch.empty((int(rows[images, 2].sum()) if images else 0, self.pixel_width), dtype=torch.float32)
        at = 0
        for k in images:
            is_coded, start, n, folded = (int(x) for x in rows[k])
            if is_coded:
                width = self.pixel_width // folded
                codes = self._codes[start : start + n * width].reshape(n, width)
                decode_image(codes, self._t["pixel_tables"][k], folded, out=out[at : at + n])
            else:
                out[at : at + n] = self._raw[start : start + n]
            at += n
        return out

    def batch(self, indices: Sequence[int]):
        """The processor's output for these questions (in this order), left-padded."""
        from transformers import BatchFeature

        offsets, image_offsets = self._t["token_offsets"], self._t["image_offsets"]
        lengths = [int(offsets[i + 1] - offsets[i]) for i in indices]
        width = max(lengths)
        out: dict[str, torch.Tensor] = {}
        for key in self.keys:
            if key == "attention_mask":
                mask = torch.zeros((len(indices), width), dtype=torch.int64)
                for b, n in enumerate(lengths):
                    mask[b, width - n :] = 1
                out[key] = mask
            elif key == "pixel_values":
                out[key] = self._pixels([k for i in indices
                                         for k in range(int(image_offsets[i]), int(image_offsets[i + 1]))])
            elif key == "image_grid_thw":
                out[key] = torch.cat([self._t[key][int(image_offsets[i]) : int(image_offsets[i + 1])] for i in indices])
            else:
                flat = self._t[key]
                pad = self.pad_token_id if key == "input_ids" else 0
                filled = torch.full((len(indices), width), pad, dtype=flat.dtype)
                for b, (i, n) in enumerate(zip(indices, lengths)):
                    filled[b, width - n :] = flat[int(offsets[i]) : int(offsets[i + 1])]
                out[key] = filled
        return BatchFeature(data=out)


def open_encoded(encoded_inputs: Mapping[str, str | os.PathLike[str]],
                 eval_splits: Mapping[str, str | os.PathLike[str]],
                 base_model: str | os.PathLike[str]) -> dict[str, EncodedInputs]:
    """Every task's :class:`EncodedInputs`, checked against its split and the model (before loading the model)."""
    if set(encoded_inputs) != set(eval_splits):
        raise EncodedInputsError(f"encoded inputs for {sorted(encoded_inputs)} but eval splits for {sorted(eval_splits)}")
    fingerprint = processor_fingerprint(base_model)
    out = {}
    for task in sorted(eval_splits):
        out[task] = EncodedInputs(encoded_inputs[task])
        out[task].check(eval_splits[task], processor=fingerprint)
    return out
