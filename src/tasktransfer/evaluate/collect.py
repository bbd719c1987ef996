"""Concatenate per-evaluation outputs into the study's long tables."""

from __future__ import annotations

from typing import Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .run import ACCURACY_SCHEMA, PREDICTION_SCHEMA, write_tables


def _read_accuracy(path: str) -> pa.Table:
    convert = pacsv.ConvertOptions(column_types=dict(zip(ACCURACY_SCHEMA.names, ACCURACY_SCHEMA.types)),
                                   strings_can_be_null=False)
    table = pacsv.read_csv(path, convert_options=convert)
    missing = [c for c in ACCURACY_SCHEMA.names if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: accuracy file lacks columns {missing}")
    return table.select(ACCURACY_SCHEMA.names).cast(ACCURACY_SCHEMA)


def collect(
    accuracy_files: Sequence[str],
    prediction_files: Sequence[str],
    accuracy_out: str,
    predictions_out: str,
) -> None:
    accuracy = pa.concat_tables([_read_accuracy(f) for f in accuracy_files])
    predictions = pa.concat_tables([pq.read_table(f).cast(PREDICTION_SCHEMA) for f in prediction_files])
    keys = list(zip(*(accuracy.column(c).to_pylist() for c in ("model", "source", "seed", "target"))))
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate (model, source, seed, target) rows across accuracy files")
    write_tables(predictions, accuracy, predictions_out, accuracy_out)
