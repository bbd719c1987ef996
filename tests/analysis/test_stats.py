"""Per-cell statistics: exact McNemar, FDR correction, bootstrap CIs, the Wilcoxon floor."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from tasktransfer.analysis.settings import AnalysisSettings
from tasktransfer.analysis.stats import adjust, cell_tests, mcnemar_p, seed_tests, wilcoxon_min_p
from tasktransfer.analysis.synthetic import make_study

TASKS = ("Counting", "Jigsaw", "Art_Style")


def test_mcnemar_exact_values():
    assert mcnemar_p(10, 0) == pytest.approx(2 * 0.5**10)
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(5, 5) == 1.0


def test_bh_and_by_adjustment():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    bh = adjust(p, "bh")
    assert bh == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])  # step-up: 0.03 takes the 0.04 rank's value
    by = adjust(p, "by")
    c = 1 + 1 / 2 + 1 / 3 + 1 / 4
    assert by == pytest.approx(np.minimum(bh * c, 1.0))
    assert (adjust(p, "none") == p).all()


def test_wilcoxon_over_four_seeds_cannot_reach_005():
    assert wilcoxon_min_p(4) == 0.125 and wilcoxon_min_p(6) == 0.03125
    df = seed_tests({("a", "b"): [Fraction(1, 9), Fraction(2, 9), Fraction(1, 3), Fraction(4, 9)], ("a", "c"): [0.0] * 4})
    row = df.row(0, named=True)
    assert row["wilcoxon_p"] == pytest.approx(0.125) and row["wilcoxon_min_p"] == 0.125 and row["n_nonzero"] == 4
    assert df.row(1, named=True)["wilcoxon_p"] == 1.0


@pytest.fixture(scope="module")
def study():
    effects = {"m": np.array([[0.0, 0.6, 0.0], [0.0, 0.0, -0.5], [0.0, 0.0, 0.0]])}
    return make_study(["m"], TASKS, [0, 1], 60, seed=3, effects=effects)


def test_cell_tests_find_planted_effects(study):
    _, preds = study
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "significance": {"n_bootstrap": 200}})
    df = cell_tests(preds, "m", cfg)
    assert df.height == 9
    cell = {(r["source"], r["target"]): r for r in df.iter_rows(named=True)}
    up = cell[("Counting", "Jigsaw")]
    assert up["significant"] and up["base_only_correct"] == 0 and up["ft_only_correct"] >= 10
    assert up["n_questions"] == 60 and up["n_seeds"] == 2
    assert up["ci_low"] > 0 and up["ci_low"] < up["ci_high"] <= 1
    down = cell[("Jigsaw", "Art_Style")]
    assert down["significant"] and down["ci_high"] < 0
    same = cell[("Art_Style", "Counting")]
    assert same["p_value"] == 1.0 and not same["significant"] and same["ci_low"] == same["ci_high"] == 0.0
    diag = cell[("Counting", "Counting")]
    assert diag["q_value"] is None and not diag["significant"]  # diagonal outside the correction
    again = cell_tests(preds, "m", cfg)
    assert again.equals(df)  # seeded bootstrap: same inputs, same numbers


def test_cell_tests_pool_over_seeds_and_use_paired_questions(study):
    _, preds = study
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "significance": {"n_bootstrap": 50}})
    one_seed = preds.filter(pl.col("seed").is_in(["", "0"]))
    a = cell_tests(one_seed, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    b = cell_tests(preds, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    assert b["ft_only_correct"][0] > a["ft_only_correct"][0] and b["n_seeds"][0] == 2 and a["n_seeds"][0] == 1
    # drop one question from the base: pairing drops it everywhere
    fewer = preds.filter(~((pl.col("source") == "base") & (pl.col("question_id") == "Jigsaw-0000")))
    c = cell_tests(fewer, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    assert c["n_questions"][0] == 59


def test_cell_tests_errors(study):
    _, preds = study
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS)})
    with pytest.raises(ValueError, match=r"predictions: no rows for model 'x'"):
        cell_tests(preds, "x", cfg)
    no_base = preds.filter(~((pl.col("source") == "base") & (pl.col("target") == "Jigsaw")))
    with pytest.raises(ValueError, match=r"predictions: no base predictions for model='m' target='Jigsaw'"):
        cell_tests(no_base, "m", cfg)


def test_synthetic_tables_agree(study):
    acc, preds = study
    assert acc.height == 3 * (1 + 3 * 2)
    assert acc["n_total"].unique().to_list() == [60]
    again = make_study(["m"], TASKS, [0, 1], 60, seed=3, effects={"m": np.zeros((3, 3))})
    assert again[1].height == preds.height


def test_bootstrap_statistic_matches_direct_pgf():
    from tasktransfer.analysis.stats import _pgf_stat

    rng = np.random.default_rng(0)
    base = (rng.random((3, 50)) < 0.5).astype(float)
    ft = (rng.random((3, 50)) < 0.6).astype(float)
    stat = _pgf_stat(base, ft, 1.0, 0.0)
    direct = np.mean((ft.mean(1) - base.mean(1)) / (1 - base.mean(1)))
    assert stat(np.arange(50)) == pytest.approx(direct)
    idx = rng.integers(0, 50, size=(7, 50))
    expected = [np.mean((ft[:, r].mean(1) - base[:, r].mean(1)) / (1 - base[:, r].mean(1))) for r in idx]
    assert stat(idx) == pytest.approx(expected)
