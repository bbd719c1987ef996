"""Extension workflow steps on a planted grid, using the analysis library's PGF outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tasktransfer.extensions.pipeline import (
    mini_count,
    mixture_train_params,
    multitask_train_params,
    prep_specs,
    read_specs,
    run_balance_report,
    run_selection,
    run_selection_report,
    run_visatb,
)
from tasktransfer.extensions.settings import ExtensionSettings
from tasktransfer.extensions.spec import read_spec

TASKS = ["C1", "C2", "D1", "J"]
M = 40  # questions per eval split
BASE = 12  # base model: 12/40 correct everywhere
# Planted grid (correct answers out of 40, rows trained on, columns evaluated on):
# C1 and C2 help J, D1 hurts J; every direct run helps its own task.
GRID = {
    "C1": {"C1": 30, "C2": 25, "D1": 8, "J": 28},
    "C2": {"C1": 24, "C2": 30, "D1": 9, "J": 22},
    "D1": {"C1": 8, "C2": 9, "D1": 30, "J": 6},
    "J": {"C1": 12, "C2": 12, "D1": 12, "J": 30},
}
MINI = {"C1": 24, "C2": 15, "D1": 27, "J": 10}  # mini__{task} on its own task


def _acc_rows():
    rows = [("tiny", "base", "", t, BASE, M) for t in TASKS]
    for seed in ("0", "1"):
        rows += [("tiny", s, seed, t, k, M) for s, row in GRID.items() for t, k in row.items()]
        rows += [("tiny", f"mini__{t}", seed, t, k, M) for t, k in MINI.items()]
    return pd.DataFrame(rows, columns=["model", "source", "seed", "target", "n_correct", "n_total"])


def _settings(**selection):
    return ExtensionSettings.from_config({"selection": {"targets": ["J"], "k": 2, "n_random": 2, **selection}}, ["tiny"], TASKS, [0, 1])


@pytest.fixture(scope="module")
def pgf_matrix(tmp_path_factory):
    from tasktransfer.analysis.pipeline import run

    d = tmp_path_factory.mktemp("analysis")
    acc = _acc_rows()
    acc = acc[~acc["source"].str.startswith("mini__")]
    acc.to_csv(d / "accuracies.csv", index=False)
    run(d / "accuracies.csv", d / "out", settings={"tasks": TASKS})
    return d / "out" / "tiny" / "pgf_matrix.csv"


def test_selection_picks_planted_helpers(pgf_matrix, tmp_path):
    counts = {t: 48 for t in TASKS}
    specs = run_selection(pgf_matrix, tmp_path / "specs", _settings().selection, TASKS, counts)
    top = read_spec(tmp_path / "specs" / "J__pgf_topk.json")
    assert top.tasks == ("C1", "C2") and top.examples == {"C1": 24, "C2": 24}
    assert {s.name for s in read_specs(tmp_path / "specs")} == {s.name for s in specs} == {"J__pgf_topk", "J__random_0", "J__random_1", "J__uniform"}
    ranking = pd.read_csv(tmp_path / "specs" / "ranking.csv")
    assert ranking["source"].tolist() == ["C1", "C2", "D1"] and set(ranking["target"]) == {"J"}
    assert ranking["pgf"].iloc[0] == pytest.approx((28 - 12) / (40 - 12))


def test_significance_filter_needs_qvalues(pgf_matrix, tmp_path):
    with pytest.raises(ValueError, match="significant_only is true but no q-value matrix"):
        run_selection(pgf_matrix, tmp_path / "s", _settings(significant_only=True).selection, TASKS, {t: 48 for t in TASKS})
    q = tmp_path / "q.csv"
    pd.DataFrame({"source": ["C1", "C2", "D1"], "target": "J", "q": [0.2, 0.01, 0.01]}).to_csv(q, index=False)
    run_selection(pgf_matrix, tmp_path / "s", _settings(significant_only=True).selection, TASKS, {t: 48 for t in TASKS}, q, "q")
    assert read_spec(tmp_path / "s" / "J__pgf_topk.json").tasks == ("C2",)


def test_visatb_from_planted_runs(tmp_path):
    settings = ExtensionSettings.from_config(None, ["tiny"], TASKS, [0]).balance
    weights = run_visatb(_acc_rows(), TASKS, {t: 48 for t in TASKS}, settings, tmp_path / "visatb")
    contribution = pd.read_csv(tmp_path / "visatb" / "contribution.csv", index_col="source")
    assert contribution.loc["C1", "J"] == pytest.approx((28 - 12) / (30 - 12))
    assert contribution.loc["J", "C1"] == pytest.approx(0.0)
    record = json.loads((tmp_path / "visatb" / "visatb.json").read_text())
    assert record["per_task"]["J"]["difficulty"] == pytest.approx(1 - 10 / 30)
    assert np.mean(list(weights.values())) == pytest.approx(1.0)
    vitw = read_spec(tmp_path / "visatb" / "specs" / "multitask__vitw.json")
    assert vitw.loss_weights == pytest.approx(weights) and vitw.budget == 4 * 48
    assert read_spec(tmp_path / "visatb" / "specs" / "multitask__tla.json").loss_aggregation == "task"
    assert record["undefined_columns"] == []


def test_visatb_leaves_out_a_task_its_own_run_does_not_move(tmp_path):
    acc = _acc_rows()
    acc.loc[(acc["source"] == "J") & (acc["target"] == "J"), "n_correct"] = BASE
    acc.loc[(acc["source"] == "mini__J"), "n_correct"] = BASE
    settings = ExtensionSettings.from_config(None, ["tiny"], TASKS, [0]).balance
    run_visatb(acc, TASKS, {t: 48 for t in TASKS}, settings, tmp_path / "v")
    assert json.loads((tmp_path / "v" / "visatb.json").read_text())["undefined_columns"] == ["J"]
    strict = ExtensionSettings.from_config({"balance": {"undefined": "error"}}, ["tiny"], TASKS, [0]).balance
    with pytest.raises(ValueError, match=r"for \['J'\], so C\[i->j\] is undefined"):
        run_visatb(acc, TASKS, {t: 48 for t in TASKS}, strict, tmp_path / "v2")
    assert not (tmp_path / "v2").exists()


def test_prep_specs_and_train_params():
    counts = {"C1": 64, "C2": 33, "D1": 1, "J": 320}
    settings = ExtensionSettings.from_config(None, ["tiny"], TASKS, [0]).balance
    simple = prep_specs(TASKS, counts, settings)
    assert [s.name for s in simple] == ["mini__C1", "mini__C2", "mini__D1", "mini__J"]
    assert [s.budget for s in simple] == [2, 2, 1, 10]
    full = prep_specs(TASKS, counts, ExtensionSettings.from_config({"balance": {"form": "full"}}, ["tiny"], TASKS, [0]).balance)
    assert full[-1].name == "all_mini" and full[-1].examples == {"C1": 2, "C2": 2, "D1": 1, "J": 10}
    assert full[0].examples == {"C1": 64, "C2": 2, "D1": 1, "J": 10}
    assert mini_count(100, 1 / 32) == 4
    direct = {"lr": 1e-3, "epochs": None, "max_steps": 500, "max_examples": 100000}
    assert mixture_train_params(direct, 100000, 3125)["max_steps"] == 16
    assert mixture_train_params({**direct, "max_steps": None, "epochs": 5}, 10, 30)["max_examples"] == 30
    multi = multitask_train_params({"a": {"lr": 1e-3, "epochs": 5, "max_steps": None}, "b": {"lr": 1e-4, "epochs": None, "max_steps": 500}}, settings)
    assert (multi["lr"], multi["epochs"], multi["max_steps"]) == (1e-4, 5.0, None)


def _predictions(rng):
    """Per-question predictions: base, direct J, mixtures on J, and multi-task runs on all tasks."""
    rows = []
    qs = [f"q{i}" for i in range(M)]

    def add(source, seed, target, p):
        rows.extend(("tiny", source, seed, target, q, bool(rng.random() < p)) for q in qs)

    for t in TASKS:
        add("base", "", t, 0.3)
    for seed in ("0", "1"):
        for t in TASKS:
            add(t, seed, t, 0.75)
        add("J__pgf_topk", seed, "J", 0.8)
        add("J__random_0", seed, "J", 0.4)
        add("J__random_1", seed, "J", 0.5)
        add("J__uniform", seed, "J", 0.6)
        for s, p in (("vitw", 0.8), ("ew", 0.76), ("tla", 0.7)):
            for t in TASKS:
                add(f"multitask__{s}", seed, t, p)
    return pd.DataFrame(rows, columns=["model", "source", "seed", "target", "question_id", "correct"])


def test_reports(pgf_matrix, tmp_path):
    pred = _predictions(np.random.default_rng(0))
    specs = run_selection(pgf_matrix, tmp_path / "specs", _settings().selection, TASKS, {t: 48 for t in TASKS})
    table = run_selection_report(pred, specs, "tiny", tmp_path / "sel.csv", tmp_path / "sel", n_resamples=200)
    by = table.set_index("strategy")
    assert list(by.index) == ["direct", "pgf_topk", "random", "uniform"]
    assert by.loc["random", "n_runs"] == 4 and by.loc["pgf_topk", "n_runs"] == 2
    assert by.loc["pgf_topk", "accuracy"] > by.loc["random", "accuracy"]
    assert (tmp_path / "sel.png").exists() and (tmp_path / "sel.pdf").exists()
    per_task, summary = run_balance_report(pred, "tiny", TASKS, ["vitw", "ew", "tla"], tmp_path / "bal.csv", tmp_path / "bal_summary.csv", tmp_path / "bal", n_resamples=200)
    assert summary["method"].tolist() == ["stl", "ew", "tla", "vitw"]
    assert set(per_task["task"]) == set(TASKS)
    assert pd.read_csv(tmp_path / "bal_summary.csv")["delta_i_pct"].iloc[0] == 0.0
