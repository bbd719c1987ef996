"""Selection and balancing tables with bootstrap CIs, and their figures."""

from __future__ import annotations

import pandas as pd
import pytest

from tasktransfer.extensions.results import balance_results, plot_balance, plot_selection, selection_results

QUESTIONS = [f"q{i}" for i in range(10)]


def _runs(target: str, strategy: str, correct_per_run: list[list[int]]) -> list[tuple]:
    return [(target, strategy, str(r), q, c) for r, row in enumerate(correct_per_run) for q, c in zip(QUESTIONS, row)]


def selection_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    base = pd.DataFrame({"target": "t", "question_id": QUESTIONS, "correct": [1] * 4 + [0] * 6})  # 0.4
    rows = (
        _runs("t", "direct", [[1] * 7 + [0] * 3])  # 0.7
        + _runs("t", "random", [[1] * 4 + [0] * 6, [1] * 6 + [0] * 4])  # pooled 0.5
        + _runs("t", "pgf_topk", [[1] * 8 + [0] * 2])  # 0.8
    )
    return pd.DataFrame(rows, columns=["target", "strategy", "run", "question_id", "correct"]), base


def test_selection_point_estimates_by_hand():
    pred, base = selection_inputs()
    tab = selection_results(pred, base, n_resamples=300, seed=1)
    assert tab["strategy"].tolist() == ["direct", "pgf_topk", "random"]  # fixed display order
    by = tab.set_index("strategy")
    assert by.loc["pgf_topk", "accuracy"] == pytest.approx(0.8)
    assert by.loc["pgf_topk", "pgf"] == pytest.approx((0.8 - 0.4) / 0.6)
    assert by.loc["random", "accuracy"] == pytest.approx(0.5)
    assert by.loc["random", "pgf"] == pytest.approx(0.1 / 0.6)
    assert by.loc["random", "n_runs"] == 2 and by.loc["direct", "n_questions"] == 10
    for r in tab.itertuples():
        assert r.accuracy_lo <= r.accuracy <= r.accuracy_hi
        assert r.pgf_lo <= r.pgf <= r.pgf_hi
    assert not tab["ceiling"].any()


def test_selection_is_deterministic_given_seed():
    pred, base = selection_inputs()
    a = selection_results(pred, base, n_resamples=200, seed=3)
    pd.testing.assert_frame_equal(a, selection_results(pred.sample(frac=1, random_state=0), base, n_resamples=200, seed=3))


def test_selection_upper_per_task_and_ceiling_flag():
    pred, base = selection_inputs()
    tab = selection_results(pred, base, upper={"t": 0.4}, n_resamples=100)
    assert tab["ceiling"].all()


def test_selection_rejects_mismatched_questions_and_missing_base():
    pred, base = selection_inputs()
    with pytest.raises(ValueError, match=r"other questions than the base \(only in strategy: \['q9'\]"):
        selection_results(pred, base[base["question_id"] != "q9"], n_resamples=100)
    with pytest.raises(ValueError, match="no base predictions for target 'u'"):
        selection_results(pred.assign(target="u"), base, n_resamples=100)
    with pytest.raises(ValueError, match=r"`predictions` lacks column\(s\) \['run'\]"):
        selection_results(pred.drop(columns="run"), base)
    with pytest.raises(ValueError, match="`correct` must be 0/1"):
        selection_results(pred.assign(correct=2), base)


def balance_inputs() -> pd.DataFrame:
    rows = []
    acc = {"stl": {"a": 5, "b": 5}, "ew": {"a": 6, "b": 4}, "vitw": {"a": 7, "b": 5}}
    for method, per_task in acc.items():
        for task, k in per_task.items():
            rows += [(method, task, "0", q, int(i < k)) for i, q in enumerate(QUESTIONS)]
    return pd.DataFrame(rows, columns=["method", "task", "run", "question_id", "correct"])


def test_balance_by_hand():
    per_task, summary = balance_results(balance_inputs(), n_resamples=200)
    s = summary.set_index("method")
    assert summary["method"].tolist() == ["stl", "ew", "vitw"]
    assert s.loc["ew", "delta_i_pct"] == pytest.approx(0.0) and s.loc["ew", "delta_e_pct"] == pytest.approx(10.0)
    assert s.loc["vitw", "delta_i_pct"] == pytest.approx(20.0) and s.loc["vitw", "delta_e_pct"] == pytest.approx(0.0)
    row = per_task.set_index(["method", "task"]).loc[("vitw", "a")]
    assert (row["accuracy"], row["stl_accuracy"], row["improvement_pct"]) == pytest.approx((0.7, 0.5, 40.0))


def test_balance_needs_stl_and_same_tasks():
    df = balance_inputs()
    with pytest.raises(ValueError, match="no single-task"):
        balance_results(df[df["method"] != "stl"])
    with pytest.raises(ValueError, match=r"method 'ew' covers other tasks than single-task FT \(missing \['b'\]"):
        balance_results(df[~((df["method"] == "ew") & (df["task"] == "b"))])


def test_figures_are_written(tmp_path):
    pred, base = selection_inputs()
    paths = plot_selection(selection_results(pred, base, n_resamples=100), tmp_path / "selection")
    per_task, summary = balance_results(balance_inputs(), n_resamples=100)
    paths += plot_balance(per_task, summary, tmp_path / "balance")
    assert sorted(p.name for p in paths) == ["balance.pdf", "balance.png", "selection.pdf", "selection.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
