"""Per-cell statistics: the seeds x questions test and its calibration, the adapters' sign-flip
test, FDR correction, CIs, and the seed-value tests."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats as st

from tasktransfer.analysis.null_simulation import StudyShape, model_p_values
from tasktransfer.analysis.paired_tests import (
    MeanSquares, adapters_test, mcnemar_p, mean_squares, pooled_mcnemar, procedure_test, seed_prior, sign_flip_p,
)
from tasktransfer.analysis.settings import AnalysisSettings
from tasktransfer.analysis.stats import adjust, cell_tests, seed_tests, wilcoxon_min_p
from tasktransfer.analysis.synthetic import make_study

TASKS = ("Counting", "Jigsaw", "Art_Style")


def test_mcnemar_exact_values():
    assert mcnemar_p(10, 0) == pytest.approx(2 * 0.5**10)
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(5, 5) == 1.0


@pytest.mark.parametrize("ft_only,base_only", [(10, 0), (7, 3), (5, 5), (12, 4), (0, 0)])
def test_sign_flip_with_one_seed_is_mcnemar(ft_only, base_only):
    base = np.array([[0] * ft_only + [1] * base_only + [1] * 7 + [0] * 5])
    ft = np.array([[1] * ft_only + [0] * base_only + [1] * 7 + [0] * 5])
    assert adapters_test(base, ft)[0] == pytest.approx(mcnemar_p(ft_only, base_only))
    assert pooled_mcnemar(base, ft)[0] == pytest.approx(mcnemar_p(ft_only, base_only))


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.integers(-4, 4), min_size=1, max_size=11))
def test_sign_flip_matches_enumeration(k):
    k = np.array(k)
    sums = [abs(int(np.dot(signs, k))) for signs in itertools.product((-1, 1), repeat=k.size)]
    assert sign_flip_p(k) == pytest.approx(np.mean(np.array(sums) >= abs(int(k.sum()))), abs=1e-12)


def test_mean_squares_decompose_the_variance_of_the_grand_mean():
    rng = np.random.default_rng(0)
    base = (rng.random((4, 30)) < 0.5).astype(float)
    ft = (rng.random((4, 30)) < 0.6).astype(float)
    ms = mean_squares(base, ft)
    y = ft - base
    # sums of squares add up: total = questions + seeds + interaction
    total = ((y - y.mean()) ** 2).sum()
    assert total == pytest.approx(ms.ms_q[0] * 29 + ms.ms_s[0] * 3 + ms.ms_e[0] * 29 * 3)
    res = procedure_test(ms)
    assert res.diff[0] == pytest.approx(y.mean()) and res.df[0] == 3
    assert res.se[0] ** 2 == pytest.approx((max(ms.ms_q[0] - ms.ms_e[0], 0) + ms.ms_s[0]) / 120)
    assert res.se[0] > 0
    assert res.p_value[0] == pytest.approx(2 * st.t.sf(abs(y.mean()) / res.se[0], 3))
    assert res.ci_low[0] < y.mean() < res.ci_high[0]


def test_procedure_test_edge_cases():
    one_seed = mean_squares(np.zeros((1, 10)), np.ones((1, 10)))
    assert np.isnan(procedure_test(one_seed).p_value[0])  # no seed replication, no procedure claim
    same = mean_squares(np.zeros((3, 10)), np.zeros((3, 10)))
    assert procedure_test(same).p_value[0] == 1.0
    shifted = mean_squares(np.zeros((3, 10)), np.ones((3, 10)))
    assert procedure_test(shifted).p_value[0] == 0.0


def test_seed_prior_pools_alike_cells_and_not_unlike_ones():
    rng = np.random.default_rng(1)
    n = 400
    alike = rng.chisquare(3, size=n) / 3 * 0.2
    ms = MeanSquares(np.zeros(n), np.ones(n), alike, np.ones(n), np.full(n, 4), np.full(n, 100))
    prior = seed_prior(ms)
    assert prior.d0 > 30 and prior.s0_sq == pytest.approx(0.2, rel=0.1)
    unlike = alike * np.exp(rng.normal(0, 1.5, size=n))
    assert seed_prior(MeanSquares(np.zeros(n), np.ones(n), unlike, np.ones(n), np.full(n, 4), np.full(n, 100))).d0 < 5


def _null_rates(shape: StudyShape, n_models: int, seed: int, alpha: float = 0.05):
    """Share of null models with any BY-significant cell, and share of cells with p <= alpha, per test."""
    rng = np.random.default_rng(seed)
    models = {"seeds_questions": 0, "pooled_mcnemar": 0}
    cells = dict(models)
    n_cells = 0
    for _ in range(n_models):
        ps, planted = model_p_values(rng, shape)
        assert not planted.any()
        for name in models:
            models[name] += bool((adjust(ps[name], "by") <= alpha).any())
            cells[name] += int((ps[name] <= alpha).sum())
        n_cells += planted.size
    return {k: v / n_models for k, v in models.items()}, {k: v / n_cells for k, v in cells.items()}


@pytest.mark.parametrize("shape", [
    StudyShape(seed_sd=0.0),
    StudyShape(seed_sd=0.6, seed_sd_spread=1.0),
], ids=["no-seed-noise", "heterogeneous-seed-noise"])
def test_seeds_questions_test_holds_its_level_on_null_studies(shape):
    """Simulated studies without any transfer: the default test stays at its level (binomial margin)."""
    n_models = 40
    per_model, per_cell = _null_rates(shape, n_models, seed=5)
    # at most 5 % of null models may show any significant cell after BY: allow the 99.9 % binomial quantile
    assert per_model["seeds_questions"] * n_models <= st.binom.ppf(0.999, n_models, 0.05)
    # per cell: nominal 5 %, with a margin for 2,000+ dependent cells
    assert per_cell["seeds_questions"] <= 0.065
    # the old pooled test fails the same check, so this test can fail
    assert per_cell["pooled_mcnemar"] > 0.15
    assert per_model["pooled_mcnemar"] * n_models > st.binom.ppf(0.999, n_models, 0.05)


def test_seeds_questions_test_finds_planted_effects():
    rng = np.random.default_rng(9)
    effects = np.zeros((13, 13))
    effects[:, :4] = 0.12  # 12-point gains into four targets, no change elsewhere
    np.fill_diagonal(effects, 0)
    ps, planted = model_p_values(rng, StudyShape(seed_sd=0.3), effects)
    hit = adjust(ps["seeds_questions"], "by") <= 0.05
    assert hit[planted > 0].mean() > 0.5 and not hit[planted == 0].any()


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
    vals = [Fraction(1, 9), Fraction(2, 9), Fraction(1, 3), Fraction(4, 9)]
    df = seed_tests({("a", "b"): vals, ("a", "c"): [0.0] * 4, ("a", "a"): [0.5] * 4})
    row = df.row(0, named=True)
    assert row["wilcoxon_p"] == pytest.approx(0.125) and row["wilcoxon_min_p"] == 0.125 and row["n_nonzero"] == 4
    # the t-test over the same four values can go below 0.05
    assert row["t_p_value"] == pytest.approx(st.ttest_1samp([float(v) for v in vals], 0).pvalue) and row["t_p_value"] < 0.05
    zero = df.row(1, named=True)
    assert zero["wilcoxon_p"] == 1.0 and zero["t_p_value"] == 1.0
    # BY over the two off-diagonal cells; the diagonal (constant values: no t p-value) stays out
    assert row["t_q_value"] == pytest.approx(adjust(np.array([row["t_p_value"], 1.0]), "by")[0])
    diag = df.row(2, named=True)
    assert diag["t_p_value"] is None or np.isnan(diag["t_p_value"])
    assert diag["t_q_value"] is None and not diag["t_significant"]


@pytest.fixture(scope="module")
def study():
    effects = {"m": np.array([[0.0, 0.6, 0.0], [0.0, 0.0, -0.5], [0.0, 0.0, 0.0]])}
    return make_study(["m"], TASKS, [0, 1, 2, 3], 60, seed=3, effects=effects)


def test_cell_tests_find_planted_effects(study):
    _, preds = study
    # Six tested cells, four of them without any change: no correction, so the marks are the raw tests.
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "significance": {"n_bootstrap": 200, "correction": "none"}})
    df = cell_tests(preds, "m", cfg)
    assert df.height == 9
    cell = {(r["source"], r["target"]): r for r in df.iter_rows(named=True)}
    up = cell[("Counting", "Jigsaw")]
    assert up["significant"] and up["adapters_significant"] and up["test"] == "seeds_questions"
    assert up["base_only_correct"] == 0 and up["ft_only_correct"] >= 10
    assert up["n_questions"] == 60 and up["n_seeds"] == 4 and up["acc_diff"] > 0
    assert 0 < up["diff_ci_low"] < up["acc_diff"] < up["diff_ci_high"]
    assert 0 < up["pgf_ci_low"] < up["pgf_ci_high"] <= 1.5
    assert up["adapters_pgf_ci_low"] > 0 and up["adapters_pgf_ci_low"] < up["adapters_pgf_ci_high"] <= 1
    down = cell[("Jigsaw", "Art_Style")]
    assert down["significant"] and down["diff_ci_high"] < 0 and down["adapters_pgf_ci_high"] < 0
    same = cell[("Art_Style", "Counting")]
    assert same["p_value"] == 1.0 and not same["significant"] and same["adapters_p_value"] == 1.0
    assert same["adapters_pgf_ci_low"] == same["adapters_pgf_ci_high"] == 0.0
    diag = cell[("Counting", "Counting")]
    assert diag["q_value"] is None and not diag["significant"]  # diagonal outside the correction
    assert diag["adapters_q_value"] is None
    again = cell_tests(preds, "m", cfg)
    assert again.equals(df)  # seeded bootstrap: same inputs, same numbers


def test_cell_tests_use_seeds_and_paired_questions(study):
    _, preds = study
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "significance": {"n_bootstrap": 50}})
    one_seed = preds.filter(pl.col("seed").is_in(["", "0"]))
    a = cell_tests(one_seed, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    b = cell_tests(preds, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    assert b["ft_only_correct"][0] > a["ft_only_correct"][0] and b["n_seeds"][0] == 4 and a["n_seeds"][0] == 1
    # one seed: nothing can be said about the training procedure, only about this adapter
    assert a["p_value"][0] is None and not a["significant"][0] and a["adapters_significant"][0]
    assert a["adapters_p_value"][0] == pytest.approx(mcnemar_p(a["ft_only_correct"][0], a["base_only_correct"][0]))
    # drop one question from the base: pairing drops it everywhere
    fewer = preds.filter(~((pl.col("source") == "base") & (pl.col("question_id") == "Jigsaw-0000")))
    c = cell_tests(fewer, "m", cfg).filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))
    assert c["n_questions"][0] == 59


def test_pooled_mcnemar_on_request_and_old_name_refused(study):
    _, preds = study
    cfg = AnalysisSettings.from_mapping({"tasks": list(TASKS), "significance": {"test": "pooled_mcnemar", "n_bootstrap": 20}})
    df = cell_tests(preds, "m", cfg)
    row = df.filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw")).row(0, named=True)
    assert row["test"] == "pooled_mcnemar" and row["p_value"] == pytest.approx(mcnemar_p(row["ft_only_correct"], row["base_only_correct"]))
    with pytest.raises(ValueError, match="anti-conservative"):
        AnalysisSettings.from_mapping({"significance": {"test": "mcnemar"}})


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
    assert acc.height == 3 * (1 + 3 * 4)
    assert acc["n_total"].unique().to_list() == [60]
    again = make_study(["m"], TASKS, [0, 1, 2, 3], 60, seed=3, effects={"m": np.zeros((3, 3))})
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


def test_calibration_benchmark_runs(tmp_path):
    """benchmarks/significance_calibration.py on a handful of models, so it cannot rot unseen."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "significance_calibration.py"
    out = subprocess.run([sys.executable, str(script), "--models", "2", "--power-models", "1"], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    for name in ("seeds_questions", "adapters", "pooled_mcnemar"):
        assert out.count(f"| {name} |") == 8  # four null scenarios + four effect sizes
    assert "pooled / seeds_questions, per cell" in out
