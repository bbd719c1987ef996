"""Multiple-choice scoring by next-token log-probabilities of the option letters.

One forward pass per batch: the prompt ends with the assistant turn opener, and the
prediction is the valid letter (2, 3 or 4 options) with the highest log-probability of
being the first generated token. Prompts are left-padded so ``logits[:, -1]`` is every
row's next token; log-softmax runs in fp32 because bf16 logits tie and drift with batch
size. This is deterministic and ~free of answer parsing, unlike free-text generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ..prompting import decode_images, letter_token_ids, prompt_text
from ..tasks import LETTERS


@dataclass
class Scored:
    question_id: str
    prediction: str
    answer: str
    logprobs: list[float]

    @property
    def correct(self) -> bool:
        return self.prediction == self.answer


def encode_batch(processor, rows: Sequence[dict[str, Any]]):
    """Left-padded model inputs for a batch of split rows (images first, then prompt)."""
    texts, images = [], []
    for row in rows:
        texts.append(prompt_text(processor, row["question"], len(row["images"])))
        images.extend(decode_images(row["images"], where=f"question {row['id']}"))
    processor.tokenizer.padding_side = "left"
    return processor(text=texts, images=images, padding=True, return_tensors="pt")


def letters_from_logits(logits, processor, rows: Sequence[dict[str, Any]]) -> list[Scored]:
    """Pick each row's best valid letter from next-token logits ``(B, V)`` (fp32 log-softmax)."""
    import torch

    logp = torch.log_softmax(logits.float(), dim=-1)
    out = []
    for k, row in enumerate(rows):
        letters = LETTERS[: len(row["choices"])]
        ids = letter_token_ids(processor.tokenizer, letters)
        lp = logp[k, ids].tolist()
        best = max(range(len(letters)), key=lambda i: (lp[i], -i))
        out.append(Scored(row["id"], letters[best], row["answer"], lp))
    return out


def next_token_logits(model, enc, **extra):
    """Logits of the token after each (left-padded) prompt; only the last position is projected."""
    import torch

    with torch.no_grad():
        return model(**enc, **extra, logits_to_keep=1).logits[:, -1, :]


def score_batch(model, processor, rows: Sequence[dict[str, Any]]) -> list[Scored]:
    enc = encode_batch(processor, rows).to(model.device)
    return letters_from_logits(next_token_logits(model, enc), processor, rows)


def length_order(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Row indices sorted by (number of images, question length): batches of similar length pad less."""
    return sorted(range(len(rows)), key=lambda i: (len(rows[i]["images"]), len(rows[i]["question"]), i))


def score_rows(model, processor, rows: Iterable[dict[str, Any]], batch_size: int = 8) -> list[Scored]:
    """Score rows in batches of ``batch_size``, grouped by length to limit padding."""
    rows = list(rows)
    order = length_order(rows)
    scored: dict[int, Scored] = {}
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        for i, s in zip(idx, score_batch(model, processor, [rows[i] for i in idx])):
            scored[i] = s
    return [scored[i] for i in range(len(rows))]
