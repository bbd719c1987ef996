"""Hypothesis properties: PGF bounds, permutation equivariance, zero rows, sign flips."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tasktransfer.analysis.categories import category_malleability, category_transfer
from tasktransfer.analysis.cliques import all_cliques
from tasktransfer.analysis.knife_edge import knife_edge_report
from tasktransfer.analysis.pgf import Matrix, pgf_exact
from tasktransfer.analysis.transfer import malleability, transferability

EPS = Fraction(1, 10**8)


@given(st.integers(1, 500).flatmap(lambda m: st.tuples(st.just(m), st.integers(0, m), st.integers(0, m - 1))))
def test_pgf_bounds(case):
    m, k_ft, k_base = case
    value = pgf_exact(k_ft, m, k_base, m, Fraction(1), EPS)
    assert value is not None
    assert value <= 1
    assert value >= -(m - 1)


@st.composite
def matrices(draw, min_n: int = 2, max_n: int = 7):
    """Square matrices over tasks t0..t{n-1} with values from a small grid (many exact zeros and ties)."""
    n = draw(st.integers(min_n, max_n))
    grid = st.sampled_from([-2.0, -0.5, -0.1, 0.0, 0.0, 0.1, 0.3, 1.0])
    values = np.array(draw(st.lists(grid, min_size=n * n, max_size=n * n)), dtype=float).reshape(n, n)
    tasks = tuple(f"t{i}" for i in range(n))
    return Matrix(values, tasks, tasks)


def _permute(m: Matrix, perm: list[int]) -> Matrix:
    return Matrix(m.values[np.ix_(perm, perm)], tuple(m.sources[i] for i in perm), tuple(m.targets[i] for i in perm))


def _by_task(df: pl.DataFrame, key: str = "task") -> dict:
    return {r[key]: r for r in df.iter_rows(named=True)}


@settings(max_examples=60, deadline=None)
@given(matrices(), st.randoms(use_true_random=False))
def test_permuting_tasks_permutes_every_output(m, rnd):
    perm = list(range(len(m.sources)))
    rnd.shuffle(perm)
    p = _permute(m, perm)
    for fn in (transferability, malleability):
        a, b = _by_task(fn(m)), _by_task(fn(p))
        assert a.keys() == b.keys()
        for k in a:
            assert a[k]["n_pos"] == b[k]["n_pos"] and a[k]["n_neg"] == b[k]["n_neg"]
            assert np.isclose(a[k]["delta_pos"], b[k]["delta_pos"], rtol=1e-12, atol=0)
            assert np.isclose(a[k]["delta_neg"], b[k]["delta_neg"], rtol=1e-12, atol=0)
    assert all_cliques(m) == all_cliques(p)
    half = len(m.sources) // 2
    cats = {"s": {"A": list(m.sources[:half]), "B": list(m.sources[half:])}}
    ca, cb = category_transfer(m, cats), category_transfer(p, cats)
    assert ca.drop("delta_pos", "delta_neg").equals(cb.drop("delta_pos", "delta_neg"))
    assert np.allclose(ca["delta_pos"].fill_null(0).to_numpy(), cb["delta_pos"].fill_null(0).to_numpy(), rtol=1e-12, atol=0)
    assert np.allclose(ca["delta_neg"].fill_null(0).to_numpy(), cb["delta_neg"].fill_null(0).to_numpy(), rtol=1e-12, atol=0)
    seeds = {(s, t): [m.values[i, j], m.values[i, j] * 2, -m.values[i, j]] for i, s in enumerate(m.sources)
             for j, t in enumerate(m.targets)}
    ka = knife_edge_report(seeds, m).sort("source", "target")
    kb = knife_edge_report(seeds, p).sort("source", "target")
    assert ka.equals(kb)


@settings(max_examples=60, deadline=None)
@given(matrices(), st.data())
def test_zero_row_has_zero_transferability(m, data):
    i = data.draw(st.integers(0, len(m.sources) - 1))
    m.values[i, :] = 0.0
    row = _by_task(transferability(m))[m.sources[i]]
    assert (row["delta_pos"], row["delta_neg"], row["n_pos"], row["n_neg"]) == (0.0, 0.0, 0, 0)
    col = _by_task(malleability(Matrix(m.values.T.copy(), m.targets, m.sources)))[m.sources[i]]
    assert (col["delta_pos"], col["delta_neg"]) == (0.0, 0.0)


@settings(max_examples=60, deadline=None)
@given(matrices())
def test_sign_flip_swaps_cliques(m):
    flipped = Matrix(-m.values, m.sources, m.targets)
    a, b = all_cliques(m), all_cliques(flipped)
    assert a["positive"] == b["negative"] and a["negative"] == b["positive"]
    ta, tb = _by_task(transferability(m)), _by_task(transferability(flipped))
    for k in ta:
        assert ta[k]["delta_pos"] == -tb[k]["delta_neg"] and ta[k]["n_pos"] == tb[k]["n_neg"]


@settings(max_examples=40, deadline=None)
@given(matrices())
def test_cliques_are_cliques_and_maximal(m):
    cliques = all_cliques(m)
    index = {t: i for i, t in enumerate(m.sources)}
    for sign, members in cliques.items():
        s = 1 if sign == "positive" else -1
        for c in members:
            assert len(c) >= 2
            for a in c:
                for b in c:
                    if a != b:
                        assert s * m.values[index[a], index[b]] > 0
            outside = [t for t in m.sources if t not in c]
            for t in outside:  # no task can extend it
                assert not all(s * m.values[index[t], index[a]] > 0 and s * m.values[index[a], index[t]] > 0 for a in c)


@settings(max_examples=4, deadline=None)
@given(st.permutations(["Counting", "Jigsaw", "Art_Style", "Relative_Depth"]))
def test_pipeline_outputs_follow_the_task_order(tmp_path_factory, order):
    """The whole pipeline with a permuted ``tasks`` setting: every table is the same up to order."""
    import json

    from tasktransfer.analysis.pipeline import run
    from tasktransfer.analysis.synthetic import make_study

    tasks = ["Counting", "Jigsaw", "Art_Style", "Relative_Depth"]
    tmp = tmp_path_factory.mktemp("perm")
    acc, _ = make_study(["m-7B"], tasks, [0, 1], 30, seed=11)
    acc.write_csv(tmp / "acc.csv")
    outs = {}
    for name, t in (("a", tasks), ("b", list(order))):
        run(tmp / "acc.csv", tmp / name, {"tasks": t, "figures": False})
        outs[name] = tmp / name
    ma = pl.read_csv(outs["a"] / "m-7B" / "pgf_matrix.csv")
    mb = pl.read_csv(outs["b"] / "m-7B" / "pgf_matrix.csv")
    assert mb["source"].to_list() == list(order) and mb.columns == ["source", *order]
    assert ma.sort("source").select(sorted(tasks)).equals(mb.sort("source").select(sorted(tasks)))
    for name in ("transferability.csv", "malleability.csv"):
        assert pl.read_csv(outs["a"] / "m-7B" / name).sort("task").equals(pl.read_csv(outs["b"] / "m-7B" / name).sort("task"))
    for name in ("pgf_summary.csv", "knife_edge.csv", "seed_tests.csv"):
        a = pl.read_csv(outs["a"] / "m-7B" / name, infer_schema=False).sort("source", "target")
        b = pl.read_csv(outs["b"] / "m-7B" / name, infer_schema=False).sort("source", "target")
        assert a.equals(b), name
    assert (outs["a"] / "m-7B" / "cliques.json").read_text() == (outs["b"] / "m-7B" / "cliques.json").read_text()
    pa = pl.read_csv(outs["a"] / "personas.csv").sort("persona", "task")
    pb = pl.read_csv(outs["b"] / "personas.csv").sort("persona", "task")
    assert pa.equals(pb)
    ca = pl.read_csv(outs["a"] / "categories.csv").sort(pl.all())
    cb = pl.read_csv(outs["b"] / "categories.csv").sort(pl.all())
    assert ca.equals(cb)
    assert json.loads((outs["b"] / "settings.json").read_text())["settings"]["tasks"] == list(order)


@settings(max_examples=60, deadline=None)
@given(matrices(), st.booleans())
def test_one_category_of_every_task_averages_the_task_scores(m, diagonal):
    """With a single category, category transfer (malleability) is the mean task transferability (malleability)."""
    cats = {"s": {"all": list(m.sources)}}
    for cat_fn, task_fn in ((category_transfer, transferability), (category_malleability, malleability)):
        row = cat_fn(m, cats, diagonal).row(0, named=True)
        tasks = task_fn(m, diagonal)
        assert np.isclose(row["delta_pos"], tasks["delta_pos"].mean(), rtol=1e-12, atol=1e-15)
        assert np.isclose(row["delta_neg"], tasks["delta_neg"].mean(), rtol=1e-12, atol=1e-15)


def test_category_malleability_reads_columns():
    tasks = ("a", "b", "c")
    # a and b help c; nothing else moves. c is a malleable target, {a, b} a giving category.
    m = Matrix(np.array([[0.0, 0.0, 0.4], [0.0, 0.0, 0.2], [0.0, 0.0, 0.0]]), tasks, tasks)
    cats = {"s": {"AB": ["a", "b"], "C": ["c"]}}
    mall = {(r["target_category"], r["source_category"]): r for r in category_malleability(m, cats).iter_rows(named=True)}
    w = (1 - np.exp(-2 / 3)) / 2  # c receives from two sources of AB, N = 3 sources
    assert np.isclose(mall[("C", "AB")]["delta_pos"], w * 0.6)
    assert mall[("AB", "C")]["delta_pos"] == 0.0 and mall[("C", "AB")]["n_targets"] == 1
    assert mall[("C", "AB")]["n_sources"] == 2
    transfer = {(r["source_category"], r["target_category"]): r for r in category_transfer(m, cats).iter_rows(named=True)}
    assert np.isclose(transfer[("AB", "C")]["delta_pos"], np.mean([(1 - np.exp(-1 / 3)) * 0.4, (1 - np.exp(-1 / 3)) * 0.2]))
