"""Concatenate per-evaluation outputs into the study's long tables.

Letter-scoring files have the base columns (:data:`.run.ACCURACY_SCHEMA`,
:data:`.run.PREDICTION_SCHEMA`); generation-mode files add ``n_unparsed`` and
``generated``/``new_tokens``. The long tables keep those extra columns when any input has
them (null for inputs without them), so letter-mode tables stay byte-identical.
"""

from __future__ import annotations

import csv
from typing import Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .run import (ACCURACY_SCHEMA, GENERATION_ACCURACY_SCHEMA, GENERATION_PREDICTION_SCHEMA, PREDICTION_SCHEMA,
                  write_tables)


def _read_accuracy(path: str) -> pa.Table:
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    schema = GENERATION_ACCURACY_SCHEMA if "n_unparsed" in header else ACCURACY_SCHEMA
    convert = pacsv.ConvertOptions(column_types=dict(zip(schema.names, schema.types)), strings_can_be_null=False)
    table = pacsv.read_csv(path, convert_options=convert)
    missing = [c for c in ACCURACY_SCHEMA.names if c not in table.column_names]
    if missing:
        raise ValueError(f"{path}: accuracy file lacks columns {missing}")
    return table.select(schema.names).cast(schema)


def _read_predictions(path: str) -> pa.Table:
    table = pq.read_table(path)
    generated = [c for c in ("generated", "new_tokens") if c in table.column_names]
    if generated and len(generated) != 2:
        raise ValueError(f"{path}: generation-mode predictions need both 'generated' and 'new_tokens'")
    schema = GENERATION_PREDICTION_SCHEMA if generated else PREDICTION_SCHEMA
    return table.select(schema.names).cast(schema)


def _concat(tables: list[pa.Table], wide: pa.Schema) -> pa.Table:
    """One table; if the inputs mix schemas, every table widened to ``wide`` (nulls where absent)."""
    if len({t.schema for t in tables}) == 1:
        return pa.concat_tables(tables)
    widened = []
    for t in tables:
        cols = [t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type) for f in wide]
        widened.append(pa.Table.from_arrays(cols, schema=wide))
    return pa.concat_tables(widened)


def collect(
    accuracy_files: Sequence[str],
    prediction_files: Sequence[str],
    accuracy_out: str,
    predictions_out: str,
) -> None:
    accuracy = _concat([_read_accuracy(f) for f in accuracy_files], GENERATION_ACCURACY_SCHEMA)
    predictions = _concat([_read_predictions(f) for f in prediction_files], GENERATION_PREDICTION_SCHEMA)
    keys = list(zip(*(accuracy.column(c).to_pylist() for c in ("model", "source", "seed", "target"))))
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate (model, source, seed, target) rows across accuracy files")
    write_tables(predictions, accuracy, predictions_out, accuracy_out)
