"""Personas: average ranks for ties, the every-model consistency gate, and no labels from zeros."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from tasktransfer.analysis.personas import PERSONAS, assign_personas, describe
from tasktransfer.analysis.settings import PersonaRule

RULES = [
    PersonaRule("mean_rank", top_k=1), PersonaRule("mean_rank", top_k=3),
    PersonaRule("top_k_all", top_k=2), PersonaRule("top_k_all", top_k=4),
    PersonaRule("threshold_all", threshold=0.0), PersonaRule("threshold_all", threshold=0.05),
]
POS = [0.0, 0.0, 0.01, 0.05, 0.1, 0.3]  # many exact zeros and ties
NEG = [0.0, 0.0, -0.01, -0.05, -0.1, -0.3]


def _table(tasks, pos, neg) -> pl.DataFrame:
    return pl.DataFrame(
        {"task": list(tasks), "delta_pos": [float(x) for x in pos], "delta_neg": [float(x) for x in neg],
         "n_pos": [int(x > 0) for x in pos], "n_neg": [int(x < 0) for x in neg]}
    )


def _from_values(values: dict[str, dict[str, dict[str, list[float]]]], tasks: list[str]):
    """{model: {table: {column: values}}} -> the tables assign_personas takes."""
    return {
        m: {name: _table(tasks, cols["delta_pos"], cols["delta_neg"]) for name, cols in per.items()}
        for m, per in values.items()
    }


@st.composite
def one_model(draw, n: int):
    return {
        name: {
            "delta_pos": draw(st.lists(st.sampled_from(POS), min_size=n, max_size=n)),
            "delta_neg": draw(st.lists(st.sampled_from(NEG), min_size=n, max_size=n)),
        }
        for name in ("transferability", "malleability")
    }


@st.composite
def studies(draw, min_models: int = 1, max_models: int = 4):
    n = draw(st.integers(2, 8))
    k = draw(st.integers(min_models, max_models))
    return [f"t{i}" for i in range(n)], {f"m{j}": draw(one_model(n)) for j in range(k)}


def _labels(df: pl.DataFrame) -> set[tuple[str, str]]:
    return {(p, t) for p, t in df.filter(pl.col("label")).select("persona", "task").iter_rows()}


def _persona_values(values, persona: str, model: str) -> list[float]:
    table, column, _ = PERSONAS[persona]
    return values[model][table][column]


def _active(value: float, persona: str) -> bool:
    return value > 0 if PERSONAS[persona][2] else value < 0


@settings(max_examples=150, deadline=None)
@given(studies(), st.sampled_from(RULES), st.randoms(use_true_random=False))
def test_task_and_model_order_do_not_matter(study, rule, rnd):
    tasks, values = study
    base = assign_personas(_from_values(values, tasks), rule)
    perm = list(range(len(tasks)))
    rnd.shuffle(perm)
    models = list(values)
    rnd.shuffle(models)
    shuffled = {
        m: {name: {c: [values[m][name][c][i] for i in perm] for c in cols} for name, cols in values[m].items()}
        for m in models
    }
    other = assign_personas(_from_values(shuffled, [tasks[i] for i in perm]), rule, models)
    assert _labels(other) == _labels(base)
    cols = ["persona", "task", "label", "mean_rank", "n_models_nonzero", *(f"rank_{m}" for m in values)]
    assert other.select(cols).sort("persona", "task").equals(base.select(cols).sort("persona", "task"))


@settings(max_examples=150, deadline=None)
@given(studies(), st.sampled_from(RULES))
def test_ranks_are_average_ranks_strongest_first(study, rule):
    tasks, values = study
    df = assign_personas(_from_values(values, tasks), rule)
    for persona, (_, _, descending) in PERSONAS.items():
        rows = df.filter(pl.col("persona") == persona).sort("task")
        assert rows["task"].to_list() == sorted(tasks)
        for m in values:
            v = np.array(_persona_values(values, persona, m))
            expected = rankdata(-v if descending else v, method="average")
            order = np.argsort(tasks)  # rows are sorted by name: t0, t1, ... (n <= 8, so lexicographic = numeric)
            assert rows[f"rank_{m}"].to_list() == pytest.approx(expected[order].tolist())
            assert rows[f"rank_{m}"].sum() == pytest.approx(len(tasks) * (len(tasks) + 1) / 2)
            # equal values, equal ranks (in particular every exact zero shares one rank)
            by_value = rows.group_by(f"value_{m}").agg(pl.col(f"rank_{m}").n_unique().alias("k"))
            assert (by_value["k"] == 1).all()


@settings(max_examples=200, deadline=None)
@given(studies(), st.sampled_from(RULES))
def test_a_label_needs_nonzero_transfer_of_its_sign_in_every_model(study, rule):
    tasks, values = study
    df = assign_personas(_from_values(values, tasks), rule)
    for row in df.iter_rows(named=True):
        vals = [row[f"value_{m}"] for m in values]
        n_active = sum(_active(v, row["persona"]) for v in vals)
        assert row["n_models_nonzero"] == n_active
        if row["label"]:
            assert n_active == len(values)
        if all(v == 0 for v in vals):
            assert not row["label"]


@settings(max_examples=150, deadline=None)
@given(studies(max_models=3), st.sampled_from(RULES), st.data())
def test_adding_a_model_where_a_task_is_zero_never_labels_it(study, rule, data):
    tasks, values = study
    extra = data.draw(one_model(len(tasks)))
    persona = data.draw(st.sampled_from(list(PERSONAS)))
    victim = data.draw(st.integers(0, len(tasks) - 1))
    table, column, _ = PERSONAS[persona]
    extra[table][column][victim] = 0.0
    before = assign_personas(_from_values(values, tasks), rule)
    after = assign_personas(_from_values({**values, "new": extra}, tasks), rule)
    assert (persona, tasks[victim]) not in _labels(after)
    if rule.rule != "mean_rank":
        # per-model conditions only add up: a new model can take labels away, never give one
        assert _labels(after) <= _labels(before)


@settings(max_examples=150, deadline=None)
@given(studies(), st.integers(1, 5))
def test_mean_rank_labels_the_best_eligible_mean_ranks_with_ties(study, top_k):
    tasks, values = study
    df = assign_personas(_from_values(values, tasks), PersonaRule("mean_rank", top_k=top_k))
    for persona in PERSONAS:
        rows = df.filter(pl.col("persona") == persona)
        eligible = rows.filter(pl.col("n_models_nonzero") == len(values))
        labelled = eligible.filter(pl.col("label"))
        assert labelled.height == rows.filter(pl.col("label")).height
        assert labelled.height >= min(top_k, eligible.height)
        if labelled.height:
            worst = labelled["mean_rank"].max()
            # everything eligible at or above the worst label is labelled; more than top_k only through a tie
            assert eligible.filter(pl.col("mean_rank") <= worst)["label"].all()
            if labelled.height > top_k:
                assert labelled.filter(pl.col("mean_rank") == worst).height > 1


@settings(max_examples=100, deadline=None)
@given(studies(), st.sampled_from(RULES[:4]), st.lists(st.sampled_from([0.5, 2.0, 10.0]), min_size=4, max_size=4))
def test_rank_rules_ignore_each_models_scale(study, rule, factors):
    tasks, values = study
    scaled = {
        m: {name: {c: [x * f for x in xs] for c, xs in cols.items()} for name, cols in per.items()}
        for (m, per), f in zip(values.items(), factors)
    }
    assert _labels(assign_personas(_from_values(scaled, tasks), rule)) == _labels(
        assign_personas(_from_values(values, tasks), rule)
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.rule}-{r.top_k}-{r.threshold}")
def test_all_zero_tables_label_nothing(rule):
    """What the significant-only tables look like when no cell is significant."""
    tasks = [f"t{i}" for i in range(5)]
    zero = {"delta_pos": [0.0] * 5, "delta_neg": [0.0] * 5}
    values = {m: {"transferability": zero, "malleability": zero} for m in ("a", "b", "c")}
    df = assign_personas(_from_values(values, tasks), rule)
    assert not df["label"].any()
    assert (df["n_models_nonzero"] == 0).all()
    assert (df.select(pl.col("^rank_.*$")) == 3.0).to_numpy().all()  # five-way tie: ranks 1..5 average to 3
    assert describe(df) == "donors: none\npirates: none\nsponges: none\nsieves: none"


def test_zero_ties_get_the_average_rank_and_no_label():
    """The reported artefact: a tie at 0 used to get the tie's best rank and enter the top 3.

    One model with four sieve-like tasks and nine at exactly 0 (as 32B's negative
    malleability in the released data): the zeros share rank (5 + ... + 13) / 9 = 9.
    """
    tasks = [f"t{i:02d}" for i in range(13)]
    neg = [-0.08, -0.075, -0.046, -0.04] + [0.0] * 9
    table = _table(tasks, [0.1] * 13, neg)
    tables = {"32B": {"transferability": table, "malleability": table}}
    df = assign_personas(tables, PersonaRule("mean_rank", top_k=6)).filter(pl.col("persona") == "sieve")
    zeros = df.filter(pl.col("value_32B") == 0)
    assert zeros.height == 9 and (zeros["rank_32B"] == 9.0).all() and not zeros["label"].any()
    assert sorted(df.filter(pl.col("label"))["task"]) == tasks[:4]  # top 6 asked, only 4 have any negative transfer
    # a tie of nonzero values also shares its average rank, and both get the label
    donors = assign_personas(tables, PersonaRule("mean_rank", top_k=1)).filter(pl.col("persona") == "donor")
    assert (donors["rank_32B"] == 7.0).all() and donors["label"].all()


def test_zero_in_one_model_blocks_the_label_whatever_the_other_ranks():
    tasks = ["p", "q", "r"]
    values = {
        "m1": {"transferability": {"delta_pos": [0.5, 0.2, 0.1], "delta_neg": [-0.5, -0.2, -0.1]}},
        "m2": {"transferability": {"delta_pos": [0.5, 0.2, 0.1], "delta_neg": [-0.5, -0.2, -0.1]}},
        "m3": {"transferability": {"delta_pos": [0.0, 0.1, 0.2], "delta_neg": [-0.5, 0.0, -0.1]}},
    }
    for per in values.values():
        per["malleability"] = per["transferability"]
    df = assign_personas(_from_values(values, tasks), PersonaRule("mean_rank", top_k=1))
    donor_p = df.filter((pl.col("persona") == "donor") & (pl.col("task") == "p")).row(0, named=True)
    # p is first in two models and last (at 0) in the third: mean 5/3, the best mean rank ...
    assert (donor_p["rank_m1"], donor_p["rank_m2"], donor_p["rank_m3"]) == (1.0, 1.0, 3.0)
    assert donor_p["mean_rank"] == pytest.approx(5 / 3) and donor_p["n_models_nonzero"] == 2
    # ... but it never donates in m3, so the label goes to the best task that donates everywhere
    assert df.filter((pl.col("persona") == "donor") & pl.col("label"))["task"].to_list() == ["q"]
    assert df.filter((pl.col("persona") == "pirate") & pl.col("label"))["task"].to_list() == ["p"]
    for rule in (PersonaRule("top_k_all", top_k=3), PersonaRule("threshold_all", threshold=0.0)):
        got = assign_personas(_from_values(values, tasks), rule)
        assert sorted(got.filter((pl.col("persona") == "donor") & pl.col("label"))["task"]) == ["q", "r"]


def test_missing_task_in_a_model_cannot_be_labelled():
    t_full = _table(["p", "q"], [0.3, 0.1], [-0.3, -0.1])
    t_short = _table(["q"], [0.2], [-0.2])
    tables = {"a": {"transferability": t_full, "malleability": t_full},
              "b": {"transferability": t_short, "malleability": t_short}}
    df = assign_personas(tables, PersonaRule("mean_rank", top_k=1))
    p = df.filter((pl.col("persona") == "donor") & (pl.col("task") == "p")).row(0, named=True)
    assert p["rank_b"] is None and p["value_b"] is None and p["mean_rank"] == 1.0 and not p["label"]
    assert "donors: q (ranks a=2, b=1; mean 1.50)" in describe(df)


def test_duplicate_task_rows_are_refused():
    t = _table(["p", "p"], [0.3, 0.1], [-0.3, -0.1])
    with pytest.raises(ValueError, match="a task appears twice"):
        assign_personas({"a": {"transferability": t, "malleability": t}}, PersonaRule())


def test_describe_prints_half_ranks():
    t = _table(["p", "q", "r"], [0.3, 0.3, 0.1], [-0.3, -0.3, -0.1])
    text = describe(assign_personas({"m": {"transferability": t, "malleability": t}}, PersonaRule("mean_rank", top_k=1)))
    assert text.splitlines()[0] == "donors: p (ranks m=1.5; mean 1.50); q (ranks m=1.5; mean 1.50)"


# ---- through the pipeline: significant-only personas ---------------------------------

TASKS = ["Counting", "Jigsaw", "Art_Style", "Relative_Depth"]
EFFECTS = {
    "toy-1B": np.array([[0, 0.4, 0.3, -0.3], [0.3, 0, 0.3, 0], [0.3, 0.3, 0, 0], [-0.4, 0, 0, 0]]),
    "toy-3B": np.array([[0, 0.5, 0.4, -0.3], [0.4, 0, 0.4, 0], [0.5, 0.4, 0, 0.1], [-0.4, 0, 0, 0]]),
}


@pytest.fixture(scope="module")
def sig_study(tmp_path_factory):
    from tasktransfer.analysis.synthetic import make_study

    d = tmp_path_factory.mktemp("persona_study")
    acc, preds = make_study(list(EFFECTS), TASKS, [0, 1], 40, seed=3, effects=EFFECTS)
    acc.write_csv(d / "accuracies.csv")
    preds.write_parquet(d / "predictions.parquet")
    return d


def _run(sig_study, out, alpha):
    from tasktransfer.analysis.pipeline import run

    settings = {"tasks": TASKS, "figures": False, "significance": {"n_bootstrap": 10, "alpha": alpha}}
    run(sig_study / "accuracies.csv", out, settings, predictions=sig_study / "predictions.parquet")
    return pl.read_csv(out / "personas.csv"), pl.read_csv(out / "personas_significant.csv")


def test_nothing_significant_labels_nothing(sig_study, tmp_path):
    # no exact McNemar p on 80 paired answers per cell comes near 1e-300
    plain, significant = _run(sig_study, tmp_path / "o", 1e-300)
    assert plain["label"].any()  # the study itself has personas...
    assert not significant["label"].any()  # ... but none survive when no cell is significant
    assert (significant["n_models_nonzero"] == 0).all()
    assert significant.columns == plain.columns


def test_significant_labels_rest_on_significant_transfer_in_every_model(sig_study, tmp_path):
    _, significant = _run(sig_study, tmp_path / "o", 0.05)
    assert significant["label"].any()
    for row in significant.filter(pl.col("label")).iter_rows(named=True):
        table, column, descending = PERSONAS[row["persona"]]
        name = {"transferability": "transferability_significant.csv", "malleability": "malleability_significant.csv"}
        for model in EFFECTS:
            t = pl.read_csv(tmp_path / "o" / model / name[table]).filter(pl.col("task") == row["task"])
            count = t["n_pos" if descending else "n_neg"][0]
            assert count >= 1 and row[f"value_{model}"] == pytest.approx(t[column][0])
