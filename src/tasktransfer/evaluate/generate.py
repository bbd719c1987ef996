"""Free-text generation plus answer parsing, the way peers evaluate (``evaluation.scoring: generate``).

lmms-eval evaluates Qwen2.5-VL on BLINK by greedy generation with ``max_new_tokens``
1024 after a note asking for a bare letter, then parses the text
(:mod:`tasktransfer.evaluate.extract`). This module reproduces that on our splits: as the
workflow's generation-mode evaluation (:func:`generate_rows`, and
:func:`~.multi.generate_sources` for many adapters), for the parity step that compares
it with letter scoring on each base model (:mod:`.parity`), and for the speed comparison
(:func:`agreement`, ``benchmarks/eval_letter_vs_generate.py``).

Same as lmms-eval (``lmms_eval/tasks/blink``, ``lmms_eval/models/simple/qwen2_5_vl.py``):
the prompt text (:func:`lmms_eval_prompt`), images before the text in one user turn,
greedy decoding, stop at the tokenizer's end of turn, new tokens decoded with special
tokens skipped and no clean-up of tokenization spaces. Not the same: images go through
the project's processor as in letter scoring (lmms-eval re-encodes each as JPEG quality 85
and resizes within min_pixels 256*28*28 and max_pixels 1,605,632), and questions are
batched (``evaluation.batch_size``, left padding) where lmms-eval's default batch is 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..prompting import decode_images, prompt_text
from .extract import EXTRACTORS, get_extractor
from .scoring import Scored, default_prefetch, encoded_batches

LMMS_EVAL_MAX_NEW_TOKENS = 1024
SCORINGS = ("letter", "generate")
DEFAULT_PARSER = "lmms_eval"


@dataclass(frozen=True)
class GenerationSettings:
    """How generation mode answers and reads: the parser that decides correctness, the length cap."""

    parser: str = DEFAULT_PARSER
    max_new_tokens: int = LMMS_EVAL_MAX_NEW_TOKENS

    def __post_init__(self) -> None:
        get_extractor(self.parser)  # unknown names fail here, listing the valid ones
        if int(self.max_new_tokens) < 1:
            raise ValueError(f"max_new_tokens must be a positive integer, got {self.max_new_tokens}")


def generation_settings(settings: Mapping[str, Any]) -> GenerationSettings | None:
    """Generation settings from an evaluation job's settings; ``None`` for letter scoring."""
    scoring = settings.get("scoring", "letter")
    if scoring not in SCORINGS:
        raise ValueError(f"evaluation scoring {scoring!r}: expected one of {', '.join(SCORINGS)}")
    if scoring == "letter":
        return None
    return GenerationSettings(settings.get("parser", DEFAULT_PARSER),
                              int(settings.get("max_new_tokens", LMMS_EVAL_MAX_NEW_TOKENS)))


def lmms_eval_prompt(question: str, n_options: int) -> str:
    """lmms-eval's BLINK text: its pre_prompt with the valid letters, then the row's prompt verbatim."""
    letters = ", ".join(chr(65 + i) for i in range(n_options))
    return f"Note: You only need to respond with {letters} without providing any additional information.\n{question}"


@dataclass
class Generated:
    question_id: str
    answer: str
    text: str
    new_tokens: int
    parsed: dict[str, str | None]  # parser name -> letter (None: unparsed)
    n_options: int = 0
    finished: bool = True  # ended with end of turn (False: cut at max_new_tokens)

    def is_valid(self, parser: str) -> bool:
        """The parsed letter is one of the question's options (False when unparsed)."""
        letter = self.parsed[parser]
        return letter is not None and letter in [chr(65 + i) for i in range(self.n_options)]


def encode_generation_batch(processor, rows: Sequence[dict[str, Any]], prompt_style: str = "lmms_eval"):
    """Left-padded generation inputs: the same images and processor as letter scoring, lmms-eval's text."""
    texts, images = [], []
    for row in rows:
        q = lmms_eval_prompt(row["question"], len(row["choices"])) if prompt_style == "lmms_eval" else row["question"]
        texts.append(prompt_text(processor, q, len(row["images"])))
        images.extend(decode_images(row["images"], where=f"question {row['id']}"))
    processor.tokenizer.padding_side = "left"
    return processor(text=texts, images=images, padding=True, return_tensors="pt")


def _plain_prompt_batch(processor, rows):
    return encode_generation_batch(processor, rows, "plain")


def batch_encoder(prompt_style: str):
    """``encode_rows`` for :func:`~.scoring.encoded_batches`: lmms-eval's note or the plain prompt."""
    if prompt_style not in ("lmms_eval", "plain"):
        raise ValueError(f"prompt_style {prompt_style!r}: expected 'lmms_eval' or 'plain'")
    return encode_generation_batch if prompt_style == "lmms_eval" else _plain_prompt_batch


def generate_encoded(model, processor, enc, rows: Sequence[dict[str, Any]], max_new_tokens: int) -> list[Generated]:
    """Greedy generation from an encoded (left-padded) batch, parsed by every known parser."""
    import torch

    enc = enc.to(model.device)
    eos = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = processor.tokenizer.pad_token_id
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos,
                             pad_token_id=pad if pad is not None else eos)
    new = out[:, enc["input_ids"].shape[1]:].tolist()
    results = []
    for row, ids in zip(rows, new):
        end = next((k for k, t in enumerate(ids) if t == eos), None)
        n = len(ids) if end is None else end + 1
        text = processor.tokenizer.decode(ids[:n], skip_special_tokens=True, clean_up_tokenization_spaces=False)
        k = len(row["choices"])
        parsed = {name: f(text, k) for name, f in EXTRACTORS.items()}
        results.append(Generated(row["id"], row["answer"], text, n, parsed, k, finished=end is not None))
    return results


def generate_batch(model, processor, rows: Sequence[dict[str, Any]], max_new_tokens: int,
                   prompt_style: str = "lmms_eval") -> list[Generated]:
    """Greedy generation for a batch of rows (left padding), parsed by every known parser."""
    return generate_encoded(model, processor, batch_encoder(prompt_style)(processor, rows), rows, max_new_tokens)


def generate_rows(model, processor, rows: Sequence[dict[str, Any]], batch_size: int = 8,
                  max_new_tokens: int = LMMS_EVAL_MAX_NEW_TOKENS, prompt_style: str = "lmms_eval",
                  prefetch: bool | None = None) -> list[Generated]:
    """Generation-mode answers for ``rows`` in row order (batches sorted by length).

    ``prefetch`` (default: on a GPU only) encodes the next batch while this one generates.
    """
    rows = list(rows)
    prefetch = default_prefetch(model) if prefetch is None else prefetch
    done: dict[int, Generated] = {}
    encode = batch_encoder(prompt_style)
    for idx, batch, enc in encoded_batches(processor, rows, batch_size, prefetch, encode_rows=encode):
        for i, g in zip(idx, generate_encoded(model, processor, enc, batch, max_new_tokens)):
            done[i] = g
    return [done[i] for i in range(len(rows))]


def agreement_counts(scored: Sequence[Scored], generated: Sequence[Generated]) -> dict[str, int]:
    """Counts behind the letter-vs-generation comparison of one set of questions.

    ``n_total``, ``letter_accuracy`` (correct letters), ``mean_new_tokens`` (a token sum),
    ``truncated`` (answers cut at the cap) and per parser ``<p>_accuracy``,
    ``<p>_agreement`` (parsed letter == letter prediction; unparsed disagrees),
    ``<p>_unparsed`` and ``<p>_invalid`` (a letter outside the question's options).
    """
    if [s.question_id for s in scored] != [g.question_id for g in generated]:
        raise ValueError("letter-scoring and generation results are not for the same questions in the same order")
    c = {"n_total": len(scored), "letter_accuracy": sum(s.correct for s in scored),
         "mean_new_tokens": sum(g.new_tokens for g in generated),
         "truncated": sum(not g.finished for g in generated)}
    for p in EXTRACTORS:
        parsed = [g.parsed[p] for g in generated]
        c[f"{p}_accuracy"] = sum(x == g.answer for x, g in zip(parsed, generated))
        c[f"{p}_agreement"] = sum(x == s.prediction for x, s in zip(parsed, scored))
        c[f"{p}_unparsed"] = sum(x is None for x in parsed)
        c[f"{p}_invalid"] = sum(x is not None and not g.is_valid(p) for x, g in zip(parsed, generated))
    return c


def agreement(scored: Sequence[Scored], generated: Sequence[Generated]) -> dict[str, Any]:
    """How often generation+parsing gives the letter-scoring prediction, per parser.

    ``agree`` counts unparsed answers as disagreements; accuracies count them as wrong.
    """
    c = agreement_counts(scored, generated)
    n = c["n_total"]

    def rate(key: str) -> float:
        return c[key] / n if n else 0.0

    return {"questions": n, "letter_accuracy": rate("letter_accuracy"), "mean_new_tokens": rate("mean_new_tokens"),
            "parsers": {p: {"agree": rate(f"{p}_agreement"), "unparsed": rate(f"{p}_unparsed"),
                            "accuracy": rate(f"{p}_accuracy")} for p in EXTRACTORS}}
