"""Multiple-choice scoring by next-token log-probabilities of the option letters.

One forward pass per batch: the prompt ends with the assistant turn opener, and the
prediction is the valid letter (2, 3 or 4 options) with the highest log-probability of
being the first generated token. Prompts are left-padded so ``logits[:, -1]`` is every
row's next token; log-softmax runs in fp32 because bf16 logits tie and drift with batch
size. This is deterministic and ~free of answer parsing, unlike free-text generation.

What a forward pass does not need is skipped: the LM head runs at the last position only
(``logits_to_keep=1``), no KV cache is built (``use_cache=False``), autograd is off
(``inference_mode``), the letters' token ids are looked up once per run rather than per
question, and the next batch's CPU preprocessing (image decoding, processor) can overlap
the current batch's forward (:func:`encoded_batches`, on by default on a GPU). Workflow
jobs skip that preprocessing altogether: they read the inputs that the ``encode_eval``
rule stored once per model and task (:mod:`.encoded`), the same bits.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

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


def option_letter_ids(processor, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Token ids of the letters the rows need (``A`` up to the most options), looked up once per run."""
    n = min(len(LETTERS), max((len(r["choices"]) for r in rows), default=0))
    return letter_token_ids(processor.tokenizer, LETTERS[:n])


def letters_from_logits(logits, processor, rows: Sequence[dict[str, Any]],
                        letter_ids: Sequence[int] | None = None) -> list[Scored]:
    """Pick each row's best valid letter from next-token logits ``(B, V)`` (fp32 log-softmax).

    ``letter_ids`` (from :func:`option_letter_ids` over all rows of the run) saves a
    tokenizer call per question; without it they are looked up for this batch.
    """
    import torch

    ids = list(letter_ids) if letter_ids is not None else option_letter_ids(processor, rows)
    with torch.inference_mode():
        logp = torch.log_softmax(logits.float(), dim=-1)
        table = logp[:, ids].tolist()  # one gather and one host copy for the whole batch
    out = []
    for k, row in enumerate(rows):
        letters = LETTERS[: len(row["choices"])]
        if len(letters) > len(ids):
            raise ValueError(f"question {row['id']}: {len(letters)} options but letter ids for {len(ids)} only")
        lp = table[k][: len(letters)]
        best = max(range(len(letters)), key=lambda i: (lp[i], -i))
        out.append(Scored(row["id"], letters[best], row["answer"], lp))
    return out


def next_token_logits(model, enc, **extra):
    """Logits of the token after each (left-padded) prompt: LM head at the last position, no KV cache."""
    import torch

    with torch.inference_mode():
        return model(**enc, **extra, logits_to_keep=1, use_cache=False).logits[:, -1, :]


def score_batch(model, processor, rows: Sequence[dict[str, Any]]) -> list[Scored]:
    enc = encode_batch(processor, rows).to(model.device)
    return letters_from_logits(next_token_logits(model, enc), processor, rows)


def length_order(rows: Sequence[dict[str, Any]]) -> list[int]:
    """Row indices sorted by (number of images, question length): batches of similar length pad less."""
    return sorted(range(len(rows)), key=lambda i: (len(rows[i]["images"]), len(rows[i]["question"]), i))


def default_prefetch(model) -> bool:
    """Overlap preprocessing with the forward on a GPU; on a CPU the forward already uses the job's cores."""
    return getattr(getattr(model, "device", None), "type", "cpu") != "cpu"


def encoded_batches(
    processor, rows: Sequence[dict[str, Any]], batch_size: int, prefetch: bool = False, encoded=None,
    encode_rows: Callable[[Any, Sequence[dict[str, Any]]], Any] = encode_batch,
) -> Iterator[tuple[list[int], list[dict[str, Any]], Any]]:
    """``(row indices, rows, processor output)`` per batch, batches in :func:`length_order`.

    ``encoded`` (an :class:`~.encoded.EncodedInputs` of these rows, in split order) replaces
    the processor with the inputs the ``encode_eval`` rule stored; the batches are the same
    bits. With ``prefetch`` one worker thread encodes batch k+1 while the caller runs batch k
    (the processor is only ever used from that thread, so it is never used concurrently);
    the encodings are the same either way, and errors surface at their batch.
    ``encode_rows(processor, rows)`` builds a batch when there is no ``encoded``: the
    letter-scoring prompt by default, generation mode passes its own.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    order = length_order(rows)
    chunks = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    batches = [[rows[i] for i in idx] for idx in chunks]

    def encode(k: int):
        return encoded.batch(chunks[k]) if encoded is not None else encode_rows(processor, batches[k])

    if not prefetch or len(chunks) < 2:
        for k, idx in enumerate(chunks):
            yield idx, batches[k], encode(k)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="eval-prefetch") as pool:
        pending = pool.submit(encode, 0)
        try:
            for k, idx in enumerate(chunks):
                enc = pending.result()
                if k + 1 < len(chunks):
                    pending = pool.submit(encode, k + 1)
                yield idx, batches[k], enc
        finally:
            pending.cancel()


def score_rows(model, processor, rows: Iterable[dict[str, Any]], batch_size: int = 8,
               prefetch: bool | None = None, encoded=None) -> list[Scored]:
    """Score rows in batches of ``batch_size``, grouped by length to limit padding.

    ``prefetch`` (default: on a GPU only) overlaps the next batch's preprocessing with
    the current forward; ``encoded`` reads pre-encoded inputs instead of running the
    processor. Predictions and log-probabilities depend on neither.
    """
    rows = list(rows)
    ids = option_letter_ids(processor, rows)
    prefetch = default_prefetch(model) if prefetch is None else prefetch
    scored: dict[int, Scored] = {}
    for idx, batch, enc in encoded_batches(processor, rows, batch_size, prefetch, encoded):
        logits = next_token_logits(model, enc.to(model.device))
        for i, s in zip(idx, letters_from_logits(logits, processor, batch, ids)):
            scored[i] = s
    return [scored[i] for i in range(len(rows))]
