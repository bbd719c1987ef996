"""Transferability, malleability, cliques, categories, trends and personas on tiny matrices."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from tasktransfer.analysis.categories import category_transfer
from tasktransfer.analysis.cliques import maximal_cliques, order_cliques
from tasktransfer.analysis.personas import assign_personas, describe
from tasktransfer.analysis.pgf import Matrix
from tasktransfer.analysis.settings import AnalysisSettings, PersonaRule
from tasktransfer.analysis.transfer import logistic_average, malleability, transferability
from tasktransfer.analysis.trends import parse_size, trends

T3 = ("a", "b", "c")


def m3(values) -> Matrix:
    return Matrix(np.array(values, dtype=float), T3, T3)


def test_logistic_average_formula():
    d_pos, d_neg, p, n = logistic_average(np.array([0.5, 0.25, -0.2, 0.0]), 4)
    assert (p, n) == (2, 1)
    assert d_pos == pytest.approx((1 - math.exp(-2 / 4)) / 2 * 0.75)
    assert d_neg == pytest.approx((1 - math.exp(-1 / 4)) * -0.2)


@pytest.mark.parametrize(
    ("include_diagonal", "n_mode", "expected_pos"),
    [
        (False, "all", (1 - math.exp(-1 / 3)) * 0.4),  # diagonal 0.9 left out, N = 3 targets
        (False, "used", (1 - math.exp(-1 / 2)) * 0.4),  # N = the 2 off-diagonal cells
        (True, "all", (1 - math.exp(-2 / 3)) / 2 * 1.3),
    ],
    ids=["default", "n-used", "with-diagonal"],
)
def test_transferability_diagonal_and_n(include_diagonal, n_mode, expected_pos):
    m = m3([[0.9, 0.4, -0.1], [0, 0, 0], [0, 0, 0]])
    t = transferability(m, include_diagonal, n_mode)
    assert t.columns == ["task", "delta_pos", "delta_neg", "n_pos", "n_neg"]
    assert t.row(0)[1] == pytest.approx(expected_pos)
    assert t.row(1) == ("b", 0.0, 0.0, 0, 0)


def test_malleability_is_transferability_of_the_transpose():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(3, 3))
    assert malleability(m3(v)).equals(transferability(m3(v.T)))


def test_nan_cells_are_not_used():
    t = transferability(m3([[0, np.nan, 0.5], [0, 0, 0], [0, 0, 0]]), n_mode="used")
    assert t.row(0)[3:] == (1, 0)
    assert t.row(0)[1] == pytest.approx((1 - math.exp(-1)) * 0.5)  # N = 1 used cell


def test_cliques_need_reciprocal_signs_and_ignore_diagonal():
    m = m3([[-5, 0.2, 0.1], [0.3, -5, 0.4], [-0.1, 0.2, -5]])
    assert maximal_cliques(m, "positive") == [["a", "b"], ["b", "c"]]
    assert maximal_cliques(m, "negative") == []


def test_exact_zero_breaks_a_clique():
    m = m3([[0, 0.2, 0.1], [0.3, 0, 0.4], [0.0, 0.2, 0]])
    assert maximal_cliques(m, "positive") == [["a", "b"], ["b", "c"]]
    m.values[2, 0] = 1e-18
    assert maximal_cliques(m, "positive") == [["a", "b", "c"]]


def test_significance_mask_filters_edges():
    m = m3([[0, 0.2, 0.1], [0.3, 0, 0.4], [0.1, 0.2, 0]])
    keep = np.ones((3, 3), dtype=bool)
    keep[0, 1] = False
    assert maximal_cliques(m, "positive", keep=keep) == [["a", "c"], ["b", "c"]]


def test_clique_ordering():
    assert order_cliques([["d", "c"], ["b", "a", "e"], ["a", "z"]]) == [["a", "b", "e"], ["a", "z"], ["c", "d"]]


def test_category_transfer_eq3():
    m = m3([[0, 0.4, -0.2], [0.1, 0, 0.3], [0.0, 0.0, 0]])
    cats = {"s": {"X": ["a", "b"], "Y": ["c"]}}
    df = category_transfer(m, cats)
    row = df.filter((pl.col("source_category") == "X") & (pl.col("target_category") == "Y")).row(0, named=True)
    # a -> c: n=1 (-0.2); b -> c: p=1 (0.3); N = 3 targets
    assert row["delta_pos"] == pytest.approx(((0.0) + (1 - math.exp(-1 / 3)) * 0.3) / 2)
    assert row["delta_neg"] == pytest.approx(((1 - math.exp(-1 / 3)) * -0.2 + 0.0) / 2)
    assert (row["n_sources"], row["n_targets"]) == (2, 1)
    assert df.height == 4


def test_category_with_missing_tasks_is_null():
    df = category_transfer(m3(np.zeros((3, 3))), {"s": {"X": ["a"], "Z": ["Jigsaw"]}})
    z = df.filter(pl.col("source_category") == "Z").row(0, named=True)
    assert z["delta_pos"] is None and z["n_sources"] == 0


@pytest.mark.parametrize(
    ("name", "size"),
    [("Qwen2.5-VL-32B-Instruct", 32.0), ("3B", 3.0), ("qwen-2.5vl-7b-instruct", 7.0), ("model-0.5B", 0.5), ("tiny", None)],
)
def test_parse_size(name, size):
    assert parse_size(name) == size


def test_trends_order_and_explicit_sizes():
    t = pl.DataFrame({"task": ["a"], "delta_pos": [0.1], "delta_neg": [-0.2], "n_pos": [1], "n_neg": [1]})
    df = trends({"big-7B": t, "tiny": t, "small": t}, {"big-7B": t, "tiny": t, "small": t}, {"small": 1.0})
    assert df["model"].to_list() == ["small", "big-7B", "tiny"]
    assert df["size_b"].to_list() == [1.0, 7.0, None]


def _tables(values: dict[str, list[float]]):
    out = {}
    for model, pos in values.items():
        t = pl.DataFrame({"task": list("pqrs"), "delta_pos": pos, "delta_neg": [-x for x in pos],
                          "n_pos": [1] * 4, "n_neg": [1] * 4})
        out[model] = {"transferability": t, "malleability": t}
    return out


@pytest.mark.parametrize(
    ("rule", "donors"),
    [
        (PersonaRule("mean_rank", top_k=1), ["q"]),  # mean ranks q=1.5, p=2, r=2.5
        (PersonaRule("top_k_all", top_k=2), ["q"]),  # p is 3rd in m2, r 3rd in m1
        (PersonaRule("threshold_all", threshold=0.25), ["q", "p", "r"]),  # ordered by mean rank
    ],
    ids=["mean-rank", "top-k-all", "threshold-all"],
)
def test_persona_rules(rule, donors):
    tables = _tables({"m1": [0.5, 0.4, 0.3, 0.0], "m2": [0.3, 0.4, 0.35, 0.0]})
    df = assign_personas(tables, rule)
    got = df.filter((pl.col("persona") == "donor") & pl.col("label"))["task"].to_list()
    assert got == donors
    row = df.filter((pl.col("persona") == "donor") & (pl.col("task") == "p")).row(0, named=True)
    assert (row["rank_m1"], row["rank_m2"], row["mean_rank"]) == (1, 3, 2.0)
    # s never transfers: never a donor, whatever the rule
    assert not df.filter((pl.col("persona") == "donor") & (pl.col("task") == "s"))["label"][0]


def test_persona_description_prints_ranks():
    df = assign_personas(_tables({"m1": [0.5, 0.4, 0.3, 0.0]}), PersonaRule("mean_rank", top_k=1))
    text = describe(df)
    assert "donors: p (ranks m1=1; mean 1.00)" in text
    assert "pirates: p (ranks m1=1; mean 1.00)" in text


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"upper_boundd": 1.0}, r"unknown key `upper_boundd`"),
        ({"personas": {"rule": "vibes"}}, r"`personas.rule` is 'vibes'; expected one of: mean_rank, top_k_all, threshold_all"),
        ({"upper_bound": {"Counting": 1.5}}, r"`upper_bound.Counting` must be in \(0, 1\], got 1.5"),
        ({"significance": {"correction": "holm"}}, r"`significance.correction` is 'holm'; expected one of: bh, by, none"),
        ({"categories": {"s": {"X": ["Counting"], "Y": ["Counting"]}}}, r"task 'Counting' is in both `categories.s.X` and `.Y`"),
        ({"categories": {"s": {"X": ["Nope"]}}}, r"`categories.s.X` names unknown task 'Nope'"),
        ({"logistic_n": "some"}, r"`logistic_n` is 'some'; expected one of: all, used"),
        ({"lora": {"layer": "last"}}, r"`lora.layer` is 'last'; expected an integer \(-1 = last\) or 'all'"),
    ],
)
def test_bad_settings(mapping, message):
    with pytest.raises(ValueError, match=message):
        AnalysisSettings.from_mapping(mapping)


def test_settings_defaults():
    cfg = AnalysisSettings.from_mapping({"upper_bound": {"default": 0.9, "Counting": 0.8}})
    assert cfg.upper("Counting") == 0.8 and cfg.upper("Jigsaw") == 0.9
    assert cfg.include_diagonal is False and cfg.logistic_n == "all" and cfg.significance.correction == "by"
    assert set(cfg.categories) == {"semantic", "hierarchical"}
