"""Evaluate the base model or one adapter on every eval split; write predictions and accuracy.

Outputs (both written atomically):
- predictions.parquet: model, source, seed, target, question_id, prediction, answer, correct;
  generation mode (``evaluation.scoring: generate``) adds ``generated`` (the model's text)
  and ``new_tokens``, and ``prediction`` is the parsed letter, null where unparsed
- accuracy.csv: model, source, seed, target, n_correct, n_total (the analysis input);
  generation mode adds ``n_unparsed`` (answers the parser could not read, counted wrong)
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic_path

PREDICTION_SCHEMA = pa.schema(
    [
        ("model", pa.string()), ("source", pa.string()), ("seed", pa.string()), ("target", pa.string()),
        ("question_id", pa.string()), ("prediction", pa.string()), ("answer", pa.string()), ("correct", pa.bool_()),
    ]
)
ACCURACY_SCHEMA = pa.schema(
    [
        ("model", pa.string()), ("source", pa.string()), ("seed", pa.string()), ("target", pa.string()),
        ("n_correct", pa.int64()), ("n_total", pa.int64()),
    ]
)
# Generation mode: the same columns first, then what only generation has.
GENERATION_PREDICTION_SCHEMA = pa.schema(
    list(PREDICTION_SCHEMA) + [pa.field("generated", pa.string()), pa.field("new_tokens", pa.int64())]
)
GENERATION_ACCURACY_SCHEMA = pa.schema(list(ACCURACY_SCHEMA) + [pa.field("n_unparsed", pa.int64())])


def evaluate_checkpoint(
    base_model: str | Path,
    eval_splits: dict[str, str | Path],
    predictions_out: str | Path,
    accuracy_out: str | Path,
    model_name: str,
    source: str = "base",
    seed: str = "",
    adapter: str | Path | None = None,
    batch_size: int = 8,
    log=print,
    encoded_inputs: dict[str, str | Path] | None = None,
    generation=None,
) -> pa.Table:
    """Score ``base_model`` (plus ``adapter`` if given) on each eval split, in task order.

    One source through the same code as the multi-adapter job (:mod:`.multi`), with a full
    forward pass per batch (no shared vision features: there is nothing to share).
    ``encoded_inputs`` (task -> ``encode_eval`` file) skips preprocessing, same outputs.
    ``generation`` (a :class:`~.generate.GenerationSettings`) answers by generation and
    parsing instead of letter scoring; ``encoded_inputs`` are then not used.
    """
    from .multi import Source, evaluate_sources

    src = Source(source, seed, Path(adapter) if adapter is not None else None)
    predictions, accuracy = evaluate_sources(base_model, eval_splits, [src], model_name, batch_size,
                                             share_vision=False, log=log,
                                             encoded_inputs=encoded_inputs, generation=generation)[src.name]
    write_tables(predictions, accuracy, predictions_out, accuracy_out)
    return accuracy


def write_tables(predictions: pa.Table, accuracy: pa.Table, predictions_out, accuracy_out) -> None:
    with atomic_path(predictions_out) as tmp:
        pq.write_table(predictions, tmp, compression="zstd")
    with atomic_path(accuracy_out) as tmp:
        pacsv.write_csv(accuracy, tmp, pacsv.WriteOptions(quoting_style="needed"))
