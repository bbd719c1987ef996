"""Evaluate the base model and many adapters in one process, sharing all per-question work.

The paper's grid evaluates 1 base + 13 adapters per (model, seed) on the same questions.
Run separately, every evaluation re-imports torch, reloads the base weights, re-decodes
and re-preprocesses every image and re-runs the vision tower. Here the base is loaded
once, each adapter is attached with ``load_adapter`` and selected with ``set_adapter``
(the base runs under ``disable_adapter``), and for every batch of questions the
processor output and the vision features (``get_image_features``) are computed once and
passed to each adapter's forward as ``mm_encoder_outputs``. That reuse is exact only
because no LoRA touches the vision tower, which :func:`assert_no_visual_lora` enforces
for every adapter loaded.

Generation mode (``evaluation.scoring: generate``, :func:`generate_sources`) shares the
loaded base and each batch's preprocessing across sources, and generates for one source
after the other; ``generate()`` runs the vision tower itself, so features are not shared.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pyarrow as pa

from ..splits import iter_split
from .generate import Generated, GenerationSettings, encode_generation_batch, generate_encoded
from .run import (ACCURACY_SCHEMA, GENERATION_ACCURACY_SCHEMA, GENERATION_PREDICTION_SCHEMA, PREDICTION_SCHEMA,
                  write_tables)
from .scoring import (Scored, default_prefetch, encoded_batches, letters_from_logits, next_token_logits,
                      option_letter_ids)


@dataclass(frozen=True)
class Source:
    """What to evaluate: the base model (``adapter=None``) or one trained adapter."""

    source: str  # "base" or the training task
    seed: str = ""
    adapter: Path | None = None

    @property
    def name(self) -> str:
        """peft adapter name (letters, digits, underscores)."""
        return "base" if self.adapter is None else f"{self.source}_seed{self.seed}".replace("-", "_")


def assert_no_visual_lora(model) -> None:
    """Refuse adapters with LoRA layers in the vision tower (they would make cached features wrong)."""
    bad = [n for n, _ in model.named_modules() if ".visual." in f".{n}." and "lora_" in n]
    if bad:
        raise AssertionError(f"an adapter has LoRA layers in the vision tower (e.g. {bad[0]}); "
                             "vision features cannot be shared across adapters")


def eval_placement(dtype: str | None = None) -> tuple[str, str]:
    """``(device, dtype)`` of an evaluation: the GPU in bfloat16 when there is one, else the CPU in float32."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    return device, dtype or ("bfloat16" if device == "cuda" else "float32")


def load_base_and_adapters(base_model: str | Path, sources: Sequence[Source], device: str, dtype: str):
    """The base model with every adapter of ``sources`` attached (a PeftModel if any)."""
    from ..model.loading import load_model, load_processor

    processor = load_processor(base_model)
    model = load_model(base_model, dtype=dtype, device=device)
    adapters = [s for s in sources if s.adapter is not None]
    if adapters:
        from peft import PeftModel

        first, *rest = adapters
        model = PeftModel.from_pretrained(model, str(first.adapter), adapter_name=first.name)
        for src in rest:
            model.load_adapter(str(src.adapter), adapter_name=src.name)
        model.eval()
        assert_no_visual_lora(model)
    return model, processor


def _inner(model):
    """The Qwen2_5_VLModel (owner of ``get_image_features``) inside a possibly peft-wrapped model."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.model


@contextlib.contextmanager
def _active(model, src: Source):
    if src.adapter is None:
        if hasattr(model, "disable_adapter"):
            with model.disable_adapter():
                yield
        else:
            yield
    else:
        model.set_adapter(src.name)
        yield


def score_sources(
    model, processor, rows: Sequence[dict[str, Any]], sources: Sequence[Source], batch_size: int = 8,
    share_vision: bool = True, prefetch: bool | None = None, encoded=None,
) -> dict[str, list[Scored]]:
    """Letter predictions of every source on ``rows`` (in row order), batches sorted by length.

    ``prefetch`` (default: on a GPU only) encodes the next batch while this one runs;
    ``encoded`` (:class:`~.encoded.EncodedInputs` of ``rows``) replaces the processor.
    """
    import torch

    out: dict[str, dict[int, Scored]] = {s.name: {} for s in sources}
    ids = option_letter_ids(processor, rows)
    prefetch = default_prefetch(model) if prefetch is None else prefetch
    for idx, batch, enc in encoded_batches(processor, rows, batch_size, prefetch, encoded):
        enc = enc.to(model.device)
        features = None
        if share_vision:
            with torch.inference_mode():
                features = _inner(model).get_image_features(enc["pixel_values"], enc["image_grid_thw"], return_dict=True)
            text_inputs = {k: v for k, v in enc.items() if k != "pixel_values"}
        for src in sources:
            with _active(model, src):
                if share_vision:
                    logits = next_token_logits(model, text_inputs, mm_encoder_outputs={"image": features})
                else:
                    logits = next_token_logits(model, enc)
            for i, s in zip(idx, letters_from_logits(logits, processor, batch, ids)):
                out[src.name][i] = s
    return {name: [d[i] for i in range(len(rows))] for name, d in out.items()}


def generate_sources(
    model, processor, rows: Sequence[dict[str, Any]], sources: Sequence[Source], batch_size: int = 8,
    max_new_tokens: int = 1024, prefetch: bool | None = None,
) -> dict[str, list[Generated]]:
    """Generation-mode answers of every source on ``rows`` (in row order), batches sorted by length.

    Each batch is preprocessed once (lmms-eval's prompt) and generated from by one source
    after the other; ``prefetch`` (default: on a GPU only) encodes the next batch meanwhile.
    """
    out: dict[str, dict[int, Generated]] = {s.name: {} for s in sources}
    prefetch = default_prefetch(model) if prefetch is None else prefetch
    for idx, batch, enc in encoded_batches(processor, rows, batch_size, prefetch,
                                           encode_rows=encode_generation_batch):
        for src in sources:
            with _active(model, src):
                generated = generate_encoded(model, processor, enc, batch, max_new_tokens)
            for i, g in zip(idx, generated):
                out[src.name][i] = g
    return {name: [d[i] for i in range(len(rows))] for name, d in out.items()}


def _letter_records(scored: Sequence[Scored]):
    """Per question (prediction, correct, extra columns) and the accuracy row's extra counts."""
    return [(s.question_id, s.prediction, s.answer, s.correct, {}) for s in scored], {}


def _generation_records(generated: Sequence[Generated], parser: str):
    rows = []
    for g in generated:
        letter = g.parsed[parser]
        rows.append((g.question_id, letter, g.answer, letter == g.answer,
                     {"generated": g.text, "new_tokens": g.new_tokens}))
    return rows, {"n_unparsed": sum(g.parsed[parser] is None for g in generated)}


def evaluate_sources(
    base_model: str | Path,
    eval_splits: dict[str, str | Path],
    sources: Sequence[Source],
    model_name: str,
    batch_size: int = 8,
    dtype: str | None = None,
    share_vision: bool = True,
    log: Callable[[str], None] = print,
    encoded_inputs: Mapping[str, str | Path] | None = None,
    generation: GenerationSettings | None = None,
) -> dict[str, tuple[pa.Table, pa.Table]]:
    """Predictions and accuracy tables (the single-checkpoint schema) for every source.

    ``encoded_inputs`` (task -> file of the ``encode_eval`` rule) skips preprocessing; each
    file is checked against its split and the base model's processor before use.
    ``generation`` switches from letter scoring to generation + parsing (generation-mode
    schemas, :mod:`.run`); encoded inputs hold the letter-scoring prompt and are not read.
    """
    from .encoded import open_encoded

    if generation is not None:
        encoded_inputs = None
    encoded_by_target = open_encoded(encoded_inputs, eval_splits, base_model) if encoded_inputs is not None else {}
    device, dtype = eval_placement(dtype)
    t0 = time.time()
    model, processor = load_base_and_adapters(base_model, sources, device, dtype)
    log(f"[eval] loaded base + {sum(s.adapter is not None for s in sources)} adapters in {time.time() - t0:.1f}s")
    if generation is not None:
        log(f"[eval] generation mode: parser {generation.parser}, max_new_tokens {generation.max_new_tokens}")
    pred_schema = PREDICTION_SCHEMA if generation is None else GENERATION_PREDICTION_SCHEMA
    acc_schema = ACCURACY_SCHEMA if generation is None else GENERATION_ACCURACY_SCHEMA
    records = {s.name: {k: [] for k in pred_schema.names} for s in sources}
    accuracy = {s.name: [] for s in sources}
    targets = sorted(eval_splits)
    for n, target in enumerate(targets, 1):
        start = time.time()
        rows = list(iter_split(eval_splits[target]))
        if generation is None:
            encoded = encoded_by_target.get(target)
            if encoded is not None:
                encoded.check_questions([r["id"] for r in rows])
            scored = score_sources(model, processor, rows, sources, batch_size, share_vision, encoded=encoded)
            per_source = {name: _letter_records(v) for name, v in scored.items()}
        else:
            generated = generate_sources(model, processor, rows, sources, batch_size, generation.max_new_tokens)
            per_source = {name: _generation_records(v, generation.parser) for name, v in generated.items()}
        for src in sources:
            rec = records[src.name]
            questions, counts = per_source[src.name]
            for question_id, prediction, answer, correct, extra in questions:
                for key, value in (("model", model_name), ("source", src.source), ("seed", src.seed),
                                   ("target", target), ("question_id", question_id), ("prediction", prediction),
                                   ("answer", answer), ("correct", correct), *extra.items()):
                    rec[key].append(value)
            accuracy[src.name].append({"model": model_name, "source": src.source, "seed": src.seed, "target": target,
                                       "n_correct": sum(q[3] for q in questions), "n_total": len(rows), **counts})
        elapsed = time.time() - t0
        log(f"[eval] target {n}/{len(targets)} {target}: {len(rows)} questions x {len(sources)} sources in "
            f"{time.time() - start:.1f}s | elapsed {elapsed:.0f}s eta {elapsed / n * (len(targets) - n):.0f}s")
    return {
        s.name: (pa.Table.from_pydict(records[s.name], schema=pred_schema),
                 pa.Table.from_pylist(accuracy[s.name], schema=acc_schema))
        for s in sources
    }


def evaluate_many(
    base_model: str | Path,
    eval_splits: dict[str, str | Path],
    jobs: Sequence[tuple[Source, str | Path, str | Path]],
    model_name: str,
    batch_size: int = 8,
    share_vision: bool = True,
    log: Callable[[str], None] = print,
    encoded_inputs: Mapping[str, str | Path] | None = None,
    generation: GenerationSettings | None = None,
) -> None:
    """Evaluate ``(source, predictions_out, accuracy_out)`` jobs in one process; write each atomically."""
    tables = evaluate_sources(base_model, eval_splits, [j[0] for j in jobs], model_name, batch_size,
                              share_vision=share_vision, log=log, encoded_inputs=encoded_inputs,
                              generation=generation)
    for src, pred_out, acc_out in jobs:
        write_tables(*tables[src.name], pred_out, acc_out)


def evaluate_many_cached(
    base_model: str | Path,
    eval_splits: dict[str, str | Path],
    jobs: Sequence[tuple[Source, str | Path, str | Path]],
    model_name: str,
    cache_root: str | Path,
    settings: dict[str, Any],
    batch_size: int = 8,
    log: Callable[[str], None] = print,
    encoded_inputs: Mapping[str, str | Path] | None = None,
    generation: GenerationSettings | None = None,
) -> list[str]:
    """:func:`evaluate_many`, evaluating only sources missing from the cache; returns their names.

    ``settings`` are part of each source's cache key: they must include whatever
    ``generation`` holds (the workflow passes the job's evaluation params).
    """
    from ..train.resume import sha256_file
    from .cache import EvalCache, source_key

    cache = EvalCache(cache_root)
    digests = {t: sha256_file(Path(p)) for t, p in eval_splits.items()}
    keys = {src.name: source_key(base_model, src.adapter, eval_splits,
                                 {**settings, "model_name": model_name, "source": src.source, "seed": src.seed},
                                 digests)
            for src, _, _ in jobs}
    todo = [j for j in jobs if not cache.fetch(keys[j[0].name], j[1], j[2])]
    log(f"[eval] {len(jobs) - len(todo)} of {len(jobs)} sources unchanged (from cache); evaluating {len(todo)}")
    if todo:
        evaluate_many(base_model, eval_splits, todo, model_name, batch_size=batch_size, log=log,
                      encoded_inputs=encoded_inputs, generation=generation)
        for src, pred, acc in todo:
            cache.store(keys[src.name], pred, acc)
    return [src.name for src, _, _ in todo]
