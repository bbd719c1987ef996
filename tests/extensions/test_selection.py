"""PGF-guided selection, random and uniform mixtures, budgets and specs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tasktransfer.extensions.selection import (
    allocate_budget,
    random_mixtures,
    rank_sources,
    select_top_k,
    selection_specs,
    uniform_mixture,
)
from tasktransfer.extensions.spec import MixtureSpec, read_spec, write_spec
from tasktransfer.train.mixture import apportion

TASKS = ["a", "b", "c", "d", "e"]


def planted_pgf() -> pd.DataFrame:
    """Target ``a`` is helped by ``c`` (0.4) and ``e`` (0.2), hurt by ``b``, untouched by ``d``."""
    values = np.full((5, 5), -0.05)
    np.fill_diagonal(values, 0.9)
    m = pd.DataFrame(values, index=TASKS, columns=TASKS)
    m.loc[["b", "c", "d", "e"], "a"] = [-0.3, 0.4, 0.0, 0.2]
    return m


def test_rank_sources_orders_by_pgf_and_excludes_target():
    r = rank_sources(planted_pgf(), "a")
    assert r["source"].tolist() == ["c", "e", "d", "b"]
    assert r["rank"].tolist() == [1, 2, 3, 4]
    assert r["eligible"].tolist() == [True, True, False, False]  # exact 0 is not positive


def test_top_k_takes_only_positive_helpers():
    assert select_top_k(planted_pgf(), "a", 1) == ["c"]
    assert select_top_k(planted_pgf(), "a", 3) == ["c", "e"]


def test_ties_broken_by_name_not_input_order():
    m = planted_pgf()
    m.loc["e", "a"] = 0.4
    shuffled = m.loc[["e", "d", "c", "b", "a"]]
    assert select_top_k(m, "a", 2) == select_top_k(shuffled, "a", 2) == ["c", "e"]


def test_significance_filter_drops_non_significant_cells():
    q = pd.DataFrame(0.01, index=TASKS, columns=TASKS)
    q.loc["c", "a"] = 0.2
    assert select_top_k(planted_pgf(), "a", 2, qvalues=q, alpha=0.05) == ["e"]
    assert select_top_k(planted_pgf(), "a", 2, qvalues=q, alpha=0.5) == ["c", "e"]


def test_float_residue_is_not_positive():
    m = planted_pgf()
    m.loc["d", "a"] = 1e-17
    assert select_top_k(m, "a", 5) == ["c", "e"]


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"target": "z"}, KeyError, "target 'z' is not a column"),
        ({"target": "a", "k": 0}, ValueError, "k must be an integer >= 1"),
    ],
)
def test_selection_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        select_top_k(planted_pgf(), kwargs["target"], kwargs.get("k", 2))


def test_nan_pgf_is_named():
    m = planted_pgf()
    m.loc["d", "a"] = np.nan
    with pytest.raises(ValueError, match=r"NaN for source\(s\) \['d'\]"):
        rank_sources(m, "a")


def test_random_mixtures_are_seeded_and_stable():
    draws = random_mixtures(TASKS, "a", 2, 4, seed=7)
    assert draws == random_mixtures(TASKS, "a", 2, 4, seed=7)
    assert draws[:2] == random_mixtures(TASKS, "a", 2, 2, seed=7)  # more draws keep earlier ones
    assert all(len(d) == 2 and "a" not in d and d == sorted(d) for d in draws)
    assert random_mixtures(TASKS, "a", 2, 4, seed=8) != draws or random_mixtures(TASKS, "a", 2, 4, seed=9) != draws
    with pytest.raises(ValueError, match="k must be between 1 and 4"):
        random_mixtures(TASKS, "a", 5, 1, seed=0)


def test_uniform_mixture():
    assert uniform_mixture(TASKS, "c") == ["a", "b", "d", "e"]


def test_allocate_budget_matches_trainer_split():
    assert allocate_budget(["c", "e", "b"], 10) == {"c": 4, "e": 3, "b": 3}
    assert list(allocate_budget(["c", "e", "b"], 10).values()) == apportion(10, [1, 1, 1])
    with pytest.raises(ValueError, match="budget must be an integer >= the number of tasks"):
        allocate_budget(["c", "e", "b"], 2)


def test_selection_specs_share_budget_and_round_trip(tmp_path):
    specs = selection_specs(planted_pgf(), "a", TASKS, k=2, budget=101, n_random=3, seed=5)
    assert [s.name for s in specs] == ["a__pgf_topk", "a__random_0", "a__random_1", "a__random_2", "a__uniform"]
    assert all(s.budget == 101 and s.seed == 5 and s.target == "a" for s in specs)
    top = specs[0]
    assert top.tasks == ("c", "e") and top.examples == {"c": 51, "e": 50}
    assert [r["source"] for r in top.details["ranking"]] == ["c", "e", "d", "b"]
    cfg = top.to_mixture_config()
    assert apportion(cfg["budget"], [v["ratio"] for v in cfg["tasks"].values()]) == [51, 50]
    for spec in specs:
        write_spec(tmp_path / f"{spec.name}.json", spec)
        assert read_spec(tmp_path / f"{spec.name}.json") == spec
    first = (tmp_path / "a__pgf_topk.json").read_bytes()
    write_spec(tmp_path / "a__pgf_topk.json", selection_specs(planted_pgf(), "a", TASKS, 2, 101, 3, 5)[0])
    assert (tmp_path / "a__pgf_topk.json").read_bytes() == first


def test_no_positive_helper_gives_a_skipped_spec():
    m = planted_pgf()
    m.loc[["c", "e"], "a"] = -0.1
    (spec,) = selection_specs(m, "a", TASKS, 2, 100, 1, 0, strategies=["pgf_topk"])
    assert spec.tasks == () and "no source transfers positively into a" in spec.details["skipped"]
    with pytest.raises(ValueError, match="is empty"):
        spec.to_mixture_config()


@pytest.mark.parametrize(
    "change, match",
    [
        ({"strategy": "best"}, "`strategy` must be one of"),
        ({"examples": {"c": 3}}, "`examples` keys"),
        ({"examples": {"c": 0, "e": 1}}, r"`examples\['c'\]` must be an integer >= 1"),
        ({"loss_weights": {"c": 1.0, "e": -1.0}}, r"`loss_weights\['e'\]` must be a finite number > 0"),
        ({"tasks": (), "examples": {}}, "must say why"),
    ],
)
def test_spec_validation(change, match):
    base = dict(name="x", study="selection", strategy="pgf_topk", seed=0, tasks=("c", "e"), examples={"c": 1, "e": 2})
    with pytest.raises(ValueError, match=match):
        MixtureSpec(**{**base, **change})


def test_read_spec_names_the_file(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"name": "x", "study": "selection"}))
    with pytest.raises(ValueError, match=r"bad.json: mixture spec lacks field\(s\) \['strategy', 'seed', 'tasks', 'examples'\]"):
        read_spec(p)
    p.write_text("{")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        read_spec(p)
