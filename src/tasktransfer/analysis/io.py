"""Reading and validating analysis inputs: accuracy tables and released PGF CSVs.

Inputs are checked strictly (columns, task names, duplicates, missing or impossible
numbers) because every downstream number silently inherits a bad cell. Errors name the
file, the line and the field, and what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import polars as pl

ACCURACY_COLUMNS = ("model", "source", "seed", "target", "n_correct", "n_total")
RELEASED_COLUMNS = ("seed", "ft_task", "task", "perfection_gap_factor")
PREDICTION_COLUMNS = ("model", "source", "seed", "target", "question_id", "correct")
BASE = "base"

PathLike = str | os.PathLike[str]


def _read_table(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Read a CSV or Parquet file with the given columns' types enforced."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix == ".parquet":
        df = pl.read_parquet(path)
        casts = [pl.col(c).cast(t, strict=False) for c, t in schema.items() if c in df.columns]
        return df.with_columns(casts)
    return pl.read_csv(path, schema_overrides={c: pl.String for c in schema}, infer_schema=False)


def _require_columns(df: pl.DataFrame, path: Path, expected: Sequence[str]) -> None:
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {', '.join(missing)}; expected columns: {', '.join(expected)}"
        )


def _line(row: int) -> int:
    """CSV line number of 0-based data row ``row`` (header is line 1)."""
    return row + 2


def _check_tasks(df: pl.DataFrame, path: Path, columns: Iterable[str], tasks: Sequence[str], allow: set[str]) -> None:
    valid = set(tasks) | allow
    for col in columns:
        bad = df.with_row_index("_row").filter(~pl.col(col).is_in(sorted(valid)))
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(
                f"{path}: line {_line(row['_row'])}: unknown task {row[col]!r} in column '{col}'; "
                f"expected one of: {', '.join(sorted(valid))}"
            )


def _check_duplicates(df: pl.DataFrame, path: Path, key: Sequence[str]) -> None:
    dup = (
        df.with_row_index("_row")
        .group_by(list(key), maintain_order=True)
        .agg(pl.col("_row"))
        .filter(pl.col("_row").list.len() > 1)
    )
    if dup.height:
        row = dup.row(0, named=True)
        cell = ", ".join(f"{k}={row[k]!r}" for k in key)
        lines = " and ".join(str(_line(r)) for r in row["_row"][:2])
        raise ValueError(f"{path}: duplicate cell ({cell}) on lines {lines}; each cell must appear once")


def _to_int(df: pl.DataFrame, path: Path, col: str) -> pl.DataFrame:
    text = pl.col(col).cast(pl.String).str.strip_chars()
    converted = df.with_row_index("_row").with_columns(text.cast(pl.Int64, strict=False).alias("_int"))
    bad = converted.filter(pl.col("_int").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(
            f"{path}: line {_line(row['_row'])}: field '{col}' is {row[col]!r}; expected a non-negative integer count"
        )
    return converted.drop(col, "_row").rename({"_int": col})


def read_accuracies(paths: PathLike | Sequence[PathLike], tasks: Sequence[str]) -> pl.DataFrame:
    """Read one or more long accuracy tables (CSV or Parquet) into one validated frame.

    Columns: model, source (a task or ``base``), seed (empty/null for a single base
    evaluation), target, n_correct, n_total. Raises ``ValueError`` naming the file and
    line for a missing column, unknown task, duplicate cell, missing/NaN/non-integer
    count, or n_correct outside [0, n_total].
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for p in paths:
        path = Path(p)
        df = _read_table(path, {c: pl.String for c in ("model", "source", "seed", "target")})
        _require_columns(df, path, ACCURACY_COLUMNS)
        df = df.select(ACCURACY_COLUMNS).with_columns(
            pl.col("model", "source", "target").cast(pl.String),
            pl.col("seed").cast(pl.String).fill_null("").str.strip_chars(),
        )
        for col in ("model", "source", "target"):
            empty = df.with_row_index("_row").filter(pl.col(col).is_null() | (pl.col(col) == ""))
            if empty.height:
                raise ValueError(f"{path}: line {_line(empty['_row'][0])}: field '{col}' is empty")
        _check_tasks(df, path, ["target"], tasks, set())
        _check_tasks(df, path, ["source"], tasks, {BASE})
        for col in ("n_correct", "n_total"):
            df = _to_int(df, path, col)
        df = df.select(ACCURACY_COLUMNS)
        bad = df.with_row_index("_row").filter(
            (pl.col("n_total") <= 0) | (pl.col("n_correct") < 0) | (pl.col("n_correct") > pl.col("n_total"))
        )
        if bad.height:
            row = bad.row(0, named=True)
            raise ValueError(
                f"{path}: line {_line(row['_row'])}: n_correct={row['n_correct']} n_total={row['n_total']}; "
                "expected 0 <= n_correct <= n_total and n_total > 0"
            )
        _check_duplicates(df, path, ("model", "source", "seed", "target"))
        frames.append(df)
    if not frames:
        raise ValueError("no accuracy files given")
    out = pl.concat(frames)
    if len(frames) > 1:
        _check_duplicates(out, Path("+".join(str(p) for p in paths)), ("model", "source", "seed", "target"))
    return out


def read_released_pgf(path: PathLike, tasks: Sequence[str]) -> pl.DataFrame:
    """Read one of the authors' released per-seed PGF CSVs.

    Columns: seed, ft_task, task, perfection_gap_factor. Returns columns
    source, seed, target, pgf (Float64). NaN, missing or non-numeric values are errors.
    """
    path = Path(path)
    df = _read_table(path, {c: pl.String for c in RELEASED_COLUMNS})
    _require_columns(df, path, RELEASED_COLUMNS)
    df = df.select(RELEASED_COLUMNS)
    _check_tasks(df, path, ["ft_task", "task"], tasks, set())
    conv = df.with_row_index("_row").with_columns(
        pl.col("perfection_gap_factor").cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False).alias("pgf")
    )
    bad = conv.filter(pl.col("pgf").is_null() | pl.col("pgf").is_nan() | pl.col("pgf").is_infinite())
    if bad.height:
        row = bad.row(0, named=True)
        raise ValueError(
            f"{path}: line {_line(row['_row'])}: field 'perfection_gap_factor' is {row['perfection_gap_factor']!r}; "
            "expected a finite number"
        )
    _check_duplicates(df, path, ("seed", "ft_task", "task"))
    return conv.select(
        pl.col("ft_task").alias("source"), pl.col("seed").cast(pl.String), pl.col("task").alias("target"), "pgf"
    )


def read_predictions(paths: PathLike | Sequence[PathLike], tasks: Sequence[str]) -> pl.DataFrame:
    """Read per-question correctness (Parquet or CSV): model, source, seed, target, question_id, correct."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    frames = []
    for p in paths:
        path = Path(p)
        df = _read_table(path, {c: pl.String for c in ("model", "source", "seed", "target", "question_id")})
        _require_columns(df, path, PREDICTION_COLUMNS)
        df = df.select(PREDICTION_COLUMNS).with_columns(
            pl.col("model", "source", "target", "question_id").cast(pl.String),
            pl.col("seed").cast(pl.String).fill_null("").str.strip_chars(),
        )
        _check_tasks(df, path, ["target"], tasks, set())
        _check_tasks(df, path, ["source"], tasks, {BASE})
        corr = df["correct"]
        if corr.dtype == pl.String:
            mapped = corr.str.to_lowercase().replace_strict(
                {"true": True, "1": True, "false": False, "0": False}, default=None, return_dtype=pl.Boolean
            )
        else:
            mapped = corr.cast(pl.Boolean, strict=False)
        if mapped.null_count():
            row = int(mapped.is_null().arg_max())
            raise ValueError(f"{path}: line {_line(row)}: field 'correct' is {corr[row]!r}; expected true/false")
        df = df.with_columns(mapped.alias("correct"))
        _check_duplicates(df, path, ("model", "source", "seed", "target", "question_id"))
        frames.append(df)
    if not frames:
        raise ValueError("no prediction files given")
    return pl.concat(frames)


def write_csv(df: pl.DataFrame, path: PathLike) -> None:
    """Write ``df`` as CSV atomically (empty string for nulls, full float precision)."""
    from tasktransfer.atomic import atomic_path

    with atomic_path(path, suffix=".csv") as tmp:
        df.write_csv(tmp, null_value="")


def check_model_name(model: str, where: str) -> str:
    """Model names become directory names: refuse separators and empty names."""
    if not model or "/" in model or "\\" in model or model in (".", ".."):
        raise ValueError(f"{where}: model name {model!r} cannot be used as a directory name; use e.g. 'Qwen2.5-VL-3B'")
    return model


def check_counts_match(acc: pl.DataFrame, preds: pl.DataFrame) -> None:
    """Per-question predictions must add up to the accuracy table's counts, cell by cell.

    A mismatch means the two files come from different runs; every test on the
    predictions would then describe other numbers than the PGF. Cells present in only
    one of the tables are allowed (e.g. predictions for a subset of models).
    """
    key = ["model", "source", "seed", "target"]
    counted = preds.group_by(key).agg(
        pl.col("correct").sum().cast(pl.Int64).alias("p_correct"), pl.len().cast(pl.Int64).alias("p_total")
    )
    joined = acc.join(counted, on=key, how="inner").filter(
        (pl.col("p_correct") != pl.col("n_correct")) | (pl.col("p_total") != pl.col("n_total"))
    )
    if joined.height:
        r = joined.sort(key).row(0, named=True)
        cell = ", ".join(f"{k}={r[k]!r}" for k in key)
        raise ValueError(
            f"predictions do not match accuracies for {joined.height} cell(s), first ({cell}): "
            f"{r['p_correct']}/{r['p_total']} correct in predictions vs {r['n_correct']}/{r['n_total']} in accuracies"
        )
