"""Free-text generation plus answer parsing, the way peers evaluate (for parity checks).

lmms-eval evaluates Qwen2.5-VL on BLINK by greedy generation with ``max_new_tokens``
1024 after a note asking for a bare letter, then parses the text
(:mod:`tasktransfer.evaluate.extract`). This module reproduces that on our splits so the
one-forward-pass letter scoring can be compared with it on the same model and questions:
same predictions? how much slower? (:func:`agreement`, ``benchmarks/eval_letter_vs_generate.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from ..prompting import decode_images, prompt_text
from ..tasks import LETTERS
from .extract import EXTRACTORS
from .scoring import Scored, length_order

LMMS_EVAL_MAX_NEW_TOKENS = 1024


def lmms_eval_prompt(question: str, n_options: int) -> str:
    """lmms-eval's BLINK text: a note naming the valid letters, then the question verbatim."""
    letters = ", ".join(LETTERS[:n_options])
    return f"Note: You only need to respond with {letters} without providing any additional information.\n{question}"


@dataclass
class Generated:
    question_id: str
    answer: str
    text: str
    new_tokens: int
    parsed: dict[str, str | None]  # parser name -> letter (None: unparsed)


def encode_generation_batch(processor, rows: Sequence[dict[str, Any]], prompt_style: str = "lmms_eval"):
    """Left-padded generation inputs: the same images and processor as letter scoring, lmms-eval's text."""
    texts, images = [], []
    for row in rows:
        q = lmms_eval_prompt(row["question"], len(row["choices"])) if prompt_style == "lmms_eval" else row["question"]
        texts.append(prompt_text(processor, q, len(row["images"])))
        images.extend(decode_images(row["images"], where=f"question {row['id']}"))
    processor.tokenizer.padding_side = "left"
    return processor(text=texts, images=images, padding=True, return_tensors="pt")


def generate_batch(model, processor, rows: Sequence[dict[str, Any]], max_new_tokens: int,
                   prompt_style: str = "lmms_eval") -> list[Generated]:
    """Greedy generation for a batch of rows (left padding), parsed by every known parser."""
    import torch

    enc = encode_generation_batch(processor, rows, prompt_style).to(model.device)
    eos = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = processor.tokenizer.pad_token_id
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos,
                             pad_token_id=pad if pad is not None else eos)
    new = out[:, enc["input_ids"].shape[1]:]
    results = []
    for row, ids in zip(rows, new):
        ids = ids.tolist()
        n = next((k + 1 for k, t in enumerate(ids) if t == eos), len(ids))
        text = processor.tokenizer.decode(ids[:n], skip_special_tokens=True)
        results.append(Generated(row["id"], row["answer"], text, n, {k: f(text) for k, f in EXTRACTORS.items()}))
    return results


def generate_rows(model, processor, rows: Sequence[dict[str, Any]], batch_size: int = 8,
                  max_new_tokens: int = LMMS_EVAL_MAX_NEW_TOKENS, prompt_style: str = "lmms_eval") -> list[Generated]:
    """Generation-mode answers for ``rows`` in row order (batches sorted by length)."""
    order = length_order(rows)
    done: dict[int, Generated] = {}
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        for i, g in zip(idx, generate_batch(model, processor, [rows[i] for i in idx], max_new_tokens, prompt_style)):
            done[i] = g
    return [done[i] for i in range(len(rows))]


def agreement(scored: Sequence[Scored], generated: Sequence[Generated]) -> dict[str, Any]:
    """How often generation+parsing gives the letter-scoring prediction, per parser.

    ``agree`` counts unparsed answers as disagreements; accuracies count them as wrong.
    """
    if [s.question_id for s in scored] != [g.question_id for g in generated]:
        raise ValueError("letter-scoring and generation results are not for the same questions in the same order")
    n = len(scored)
    report: dict[str, Any] = {"questions": n, "letter_accuracy": sum(s.correct for s in scored) / n if n else 0.0,
                              "mean_new_tokens": sum(g.new_tokens for g in generated) / n if n else 0.0,
                              "parsers": {}}
    for name in EXTRACTORS:
        parsed = [g.parsed[name] for g in generated]
        report["parsers"][name] = {
            "agree": sum(p == s.prediction for p, s in zip(parsed, scored)) / n if n else 0.0,
            "unparsed": sum(p is None for p in parsed) / n if n else 0.0,
            "accuracy": sum(p == g.answer for p, g in zip(parsed, generated)) / n if n else 0.0,
        }
    return report
