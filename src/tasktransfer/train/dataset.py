"""A torch Dataset over a canonical split and the collator that builds supervised batches.

Images stay encoded in memory (Arrow buffers) and are decoded per item, so a large split
costs its compressed size, not its pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..prompting import answer_text, decode_images, prompt_text
from ..splits import read_split


class SplitDataset:
    """Rows of one split: ``images`` (bytes), ``question``, ``answer`` and ``task``."""

    def __init__(self, path: str | Path, limit: int | None = None) -> None:
        table = read_split(path, columns=["id", "task", "images", "question", "answer"])
        if limit is not None:
            table = table.slice(0, limit)
        if table.num_rows == 0:
            raise ValueError(f"{path}: split has no examples to train on")
        self.path = Path(path)
        self._rows = table.to_pylist()

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self._rows[i]
        return {
            "id": row["id"],
            "task": row["task"],
            "images": [img["bytes"] for img in row["images"]],
            "question": row["question"],
            "answer": row["answer"],
        }


class SupervisedCollator:
    """Chat-format each example; supervise only the answer letter and end-of-turn token.

    Items carrying ``loss_weight`` (mixtures) add a float ``loss_weights`` tensor, one
    weight per example, which the trainer applies per token (VITW), and an integer
    ``task_ids`` tensor (for task-level aggregation).
    """

    def __init__(self, processor) -> None:
        self.processor = processor

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        tok = self.processor.tokenizer
        texts, images, n_answer = [], [], []
        for ex in batch:
            ans = answer_text(ex["answer"], self.processor)
            texts.append(prompt_text(self.processor, ex["question"], len(ex["images"])) + ans)
            images.extend(decode_images(ex["images"], where=f"example {ex['id']}"))
            n_answer.append(len(tok.encode(ans, add_special_tokens=False)))
        tok.padding_side = "right"
        enc = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        labels = enc["input_ids"].clone()
        labels[:] = -100
        lengths = enc["attention_mask"].sum(dim=1).tolist()
        for row, (length, n) in enumerate(zip(lengths, n_answer)):
            labels[row, length - n : length] = enc["input_ids"][row, length - n : length]
        enc["labels"] = labels
        if any("loss_weight" in ex for ex in batch):
            import torch

            enc["loss_weights"] = torch.tensor([float(ex.get("loss_weight", 1.0)) for ex in batch])
        if all("task_index" in ex for ex in batch):
            import torch

            enc["task_ids"] = torch.tensor([int(ex["task_index"]) for ex in batch])
        return dict(enc)
