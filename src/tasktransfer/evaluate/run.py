"""Evaluate the base model or one adapter on every eval split; write predictions and accuracy.

Outputs (both written atomically):
- predictions.parquet: model, source, seed, target, question_id, prediction, answer, correct
- accuracy.csv: model, source, seed, target, n_correct, n_total (the analysis input)
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic_path
from ..splits import iter_split
from .scoring import score_rows

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
) -> pa.Table:
    """Score ``base_model`` (plus ``adapter`` if given) on each eval split, in task order."""
    import torch

    from ..model.loading import load_model, load_processor
    from ..train.lora import assert_vision_frozen

    device = "cuda" if torch.cuda.is_available() else "cpu"
    processor = load_processor(base_model)
    model = load_model(base_model, dtype="bfloat16" if device == "cuda" else "float32", device=device)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter)).eval()
        assert_vision_frozen(model)
    records: dict[str, list] = {name: [] for name in PREDICTION_SCHEMA.names}
    acc_rows = []
    for target in sorted(eval_splits):
        start = time.time()
        rows = list(iter_split(eval_splits[target]))
        scored = score_rows(model, processor, rows, batch_size=batch_size)
        n_correct = sum(s.correct for s in scored)
        for s in scored:
            for key, value in (
                ("model", model_name), ("source", source), ("seed", seed), ("target", target),
                ("question_id", s.question_id), ("prediction", s.prediction), ("answer", s.answer),
                ("correct", s.correct),
            ):
                records[key].append(value)
        acc_rows.append({"model": model_name, "source": source, "seed": seed, "target": target,
                         "n_correct": n_correct, "n_total": len(scored)})
        log(f"[eval] {model_name} {source} seed={seed or '-'} {target}: {n_correct}/{len(scored)} "
            f"({time.time() - start:.1f}s)")
    predictions = pa.Table.from_pydict(records, schema=PREDICTION_SCHEMA)
    accuracy = pa.Table.from_pylist(acc_rows, schema=ACCURACY_SCHEMA)
    write_tables(predictions, accuracy, predictions_out, accuracy_out)
    return accuracy


def write_tables(predictions: pa.Table, accuracy: pa.Table, predictions_out, accuracy_out) -> None:
    with atomic_path(predictions_out) as tmp:
        pq.write_table(predictions, tmp, compression="zstd")
    with atomic_path(accuracy_out) as tmp:
        pacsv.write_csv(accuracy, tmp, pacsv.WriteOptions(quoting_style="needed"))
