"""PGF from counts: exact values, exact zeros, per-seed bases, ceiling cells."""

from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest

from tasktransfer.analysis import AnalysisSettings, compute_pgf, pgf_exact, summarise, to_matrix
from tasktransfer.analysis.io import read_accuracies

TASKS = ("Counting", "Jigsaw")
CFG = AnalysisSettings.from_mapping({"tasks": list(TASKS), "eps": 1e-12, "categories": {}})


def _pgf(write_rows, tmp_path, rows, cfg=CFG):
    return compute_pgf(read_accuracies(write_rows(tmp_path / "acc.csv", rows), cfg.tasks), cfg)


@pytest.mark.parametrize(
    ("k_ft", "k_base", "m", "expected"),
    [
        (3, 2, 4, Fraction(1, 2)),  # half the gap closed
        (4, 2, 4, Fraction(1)),  # gap fully closed: the upper bound 1
        (2, 2, 4, Fraction(0)),
        (0, 3, 4, Fraction(-3)),  # worst case with m=4: -(m-1)
    ],
)
def test_pgf_exact_values(k_ft, k_base, m, expected):
    assert pgf_exact(k_ft, m, k_base, m, Fraction(1), Fraction(0)) == expected


def test_pgf_exact_ceiling_is_none():
    assert pgf_exact(3, 4, 4, 4, Fraction(1), Fraction(1, 10**8)) is None
    assert pgf_exact(3, 4, 3, 4, Fraction(3, 4), Fraction(1, 10**8)) is None


def test_seed_mean_of_opposite_cells_is_exact_zero():
    s = summarise([Fraction(0), Fraction(0), Fraction(-1, 90), Fraction(1, 90)])
    assert s.mean == 0.0 and s.n == 4 and s.min == pytest.approx(-1 / 90) and s.max == pytest.approx(1 / 90)
    # the float route would not be zero; the tolerance snaps it
    floats = [0.0, 0.0, -0.1 / 9, 0.1 / 9 + 1e-17]
    assert summarise(floats, zero_tolerance=1e-12).mean == 0.0


def test_compute_pgf_values_and_summary(write_rows, tmp_path, acc_rows):
    per_seed, summary = _pgf(write_rows, tmp_path, acc_rows)
    assert per_seed.columns[:4] == ["model", "source", "seed", "target"]
    assert per_seed.height == 8
    cell = per_seed.filter((pl.col("source") == "Counting") & (pl.col("seed") == "0") & (pl.col("target") == "Counting"))
    assert cell["pgf"][0] == pytest.approx((50 - 45) / 45)
    row = summary.filter((pl.col("source") == "Jigsaw") & (pl.col("target") == "Jigsaw")).row(0, named=True)
    # seeds 0 and 1 give 0 and 0 -> exactly 0
    assert row["pgf_mean"] == 0.0 and row["pgf_std"] == 0.0 and row["n"] == 2
    row = summary.filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw")).row(0, named=True)
    assert row["pgf_mean"] == pytest.approx(((61 - 60) / 30 + (59 - 60) / 30) / 2, abs=1e-15)
    assert row["pgf_mean"] == 0.0  # +1/30 and -1/30 cancel exactly
    m = to_matrix(summary, TASKS)
    assert m.sources == TASKS and m.targets == TASKS and m.values.shape == (2, 2)


def test_per_seed_base_is_paired_by_seed(write_rows, tmp_path):
    rows = [
        ("m", "base", "0", "Counting", 40, 80), ("m", "base", "1", "Counting", 20, 80),
        ("m", "Counting", "0", "Counting", 60, 80), ("m", "Counting", "1", "Counting", 60, 80),
    ]
    per_seed, _ = _pgf(write_rows, tmp_path, rows)
    assert per_seed["pgf"].to_list() == pytest.approx([0.5, 40 / 60])


def test_missing_base_is_an_error(write_rows, tmp_path):
    rows = [("m", "base", "", "Counting", 40, 80), ("m", "Counting", "0", "Jigsaw", 60, 80)]
    with pytest.raises(ValueError, match=r"no base evaluation for model='m' target='Jigsaw' seed='0'"):
        _pgf(write_rows, tmp_path, rows)


def test_mixed_base_seeds_is_an_error(write_rows, tmp_path):
    rows = [("m", "base", "", "Counting", 40, 80), ("m", "base", "0", "Jigsaw", 40, 80),
            ("m", "Counting", "0", "Jigsaw", 60, 80)]
    with pytest.raises(ValueError, match=r"both an unseeded base evaluation and per-seed ones \(0\)"):
        _pgf(write_rows, tmp_path, rows)


def test_ceiling_base_is_flagged_not_blown_up(write_rows, tmp_path):
    rows = [("m", "base", "", "Counting", 80, 80), ("m", "Counting", "0", "Counting", 79, 80),
            ("m", "base", "", "Jigsaw", 40, 80), ("m", "Counting", "0", "Jigsaw", 41, 80)]
    per_seed, summary = _pgf(write_rows, tmp_path, rows)
    cell = per_seed.filter(pl.col("target") == "Counting").row(0, named=True)
    assert cell["ceiling"] is True and cell["pgf"] is None
    srow = summary.filter(pl.col("target") == "Counting").row(0, named=True)
    assert srow["ceiling"] is True and srow["pgf_mean"] is None and srow["n_ceiling"] == 1
    assert summary.filter(pl.col("target") == "Jigsaw")["ceiling"].to_list() == [False]


def test_ceiling_error_mode(write_rows, tmp_path):
    rows = [("m", "base", "", "Counting", 80, 80), ("m", "Counting", "0", "Counting", 79, 80)]
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "ceiling": "error", "categories": {}})
    with pytest.raises(ValueError, match=r"base accuracy 80/80 of model='m' on target='Counting' is at or above"):
        _pgf(write_rows, tmp_path, rows, cfg)


def test_upper_bound_per_task(write_rows, tmp_path):
    rows = [("m", "base", "", "Counting", 40, 80), ("m", "Counting", "0", "Counting", 60, 80)]
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "upper_bound": {"Counting": 0.75}, "categories": {}})
    per_seed, _ = _pgf(write_rows, tmp_path, rows, cfg)
    assert per_seed["pgf"][0] == pytest.approx(0.25 / 0.25)
    assert per_seed["upper_bound"][0] == 0.75
