"""Shared helpers for analysis tests: tiny accuracy tables written as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

HEADER = ("model", "source", "seed", "target", "n_correct", "n_total")


def _write_rows(path: Path, rows: list[tuple], header: tuple[str, ...] = HEADER) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def acc_rows() -> list[tuple]:
    """Model m, tasks Counting/Jigsaw, single base, two seeds; counts out of 90."""
    rows = [("m", "base", "", "Counting", 45, 90), ("m", "base", "", "Jigsaw", 60, 90)]
    values = {
        ("Counting", "0"): (50, 61), ("Counting", "1"): (40, 59),
        ("Jigsaw", "0"): (46, 60), ("Jigsaw", "1"): (44, 60),
    }
    for (src, seed), (c, j) in values.items():
        rows.append(("m", src, seed, "Counting", c, 90))
        rows.append(("m", src, seed, "Jigsaw", j, 90))
    return rows


@pytest.fixture
def write_rows():
    """Write rows (with a header, default the accuracy columns) to a CSV and return its path."""
    return _write_rows
