"""VisATB contributions, difficulty and weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasktransfer.extensions.visatb import (
    VisATBConfig,
    contribution_full,
    contribution_simple,
    difficulty,
    inward_contribution,
    outward_contribution,
    scaled_softmax,
    visatb_from_contribution,
    visatb_weights,
    weights_from_runs,
)

# Input vectors behind Table 5 of the VisATB paper (Academic Benchmark, LLaVA-v1.5-7B),
# as published in YanqiDai/VisATB, file weighting_visatb.py (commit 52affcb9d42a), first
# block. That script stores 1 - D under the name `difficulties`; D is recovered below.
TABLE5_TASKS = ["ShareGPT4V", "Ref-caption", "VQAv2", "GQA", "ChartQA", "OCRVQA", "Ref-bbox"]
TABLE5_C_OUT = [0.1637, 0.1903, 0.1952, 0.1433, 0.0768, 0.1316, 0.1582]
TABLE5_C_IN = [0.1634, 0.2179, 0.1326, 0.1775, 0.1674, 0.0783, 0.1219]
TABLE5_ONE_MINUS_D = [0.7597, 0.5313, 0.8852, 0.7979, 0.5511, 0.8680, 0.1904]
# Table 5 of the paper (rows lambda_out, lambda_in, lambda_D, lambda_VisATB).
TABLE5 = {
    "lambda_out": [1.0223, 1.0782, 1.0888, 0.9815, 0.8592, 0.9588, 1.0112],
    "lambda_in": [0.9727, 0.8722, 1.0345, 0.9456, 0.9649, 1.1532, 1.0569],
    "lambda_d": [0.7195, 1.1361, 0.5598, 0.6666, 1.0920, 0.5794, 2.2466],
    "weights": [0.8585, 1.0557, 0.8107, 0.8151, 1.0020, 0.8177, 1.6403],
}


def test_table5_reproduced_to_four_decimals():
    d = {t: 1.0 - v for t, v in zip(TABLE5_TASKS, TABLE5_ONE_MINUS_D)}
    w = visatb_weights(dict(zip(TABLE5_TASKS, TABLE5_C_OUT)), dict(zip(TABLE5_TASKS, TABLE5_C_IN)), d)
    assert w.tasks == tuple(TABLE5_TASKS)
    for key, expected in TABLE5.items():
        got = np.round(np.asarray(getattr(w, key)), 4)
        np.testing.assert_array_equal(got, np.asarray(expected), err_msg=key)


def test_default_config_is_the_papers():
    c = VisATBConfig()
    assert (c.temperature, c.alpha_out, c.alpha_in, c.alpha_d) == (0.5, 0.25, 0.25, 0.5)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"temperature": 0.0}, "`temperature` must be"),
        ({"temperature": float("nan")}, "`temperature` must be"),
        ({"alpha_out": -0.25, "alpha_d": 1.0}, "`alpha_out` must be"),
        ({"alpha_d": 0.6}, "must sum to 1"),
    ],
)
def test_config_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        VisATBConfig(**kwargs)


def test_config_from_mapping_names_unknown_keys():
    assert VisATBConfig.from_mapping({"temperature": 1}).temperature == 1.0
    with pytest.raises(ValueError, match=r"unknown VisATB option\(s\) \['alpha'\]"):
        VisATBConfig.from_mapping({"alpha": 0.3})


def _frame(values, tasks):
    return pd.DataFrame(np.asarray(values, dtype=float), index=tasks, columns=tasks)


def test_contribution_simple_by_hand():
    tasks = ["a", "b", "c"]
    # perf.loc[i, j] = V_j(i): accuracy on j after training on i
    perf = _frame([[0.80, 0.55, 0.40], [0.60, 0.70, 0.35], [0.50, 0.50, 0.60]], tasks)
    base = {"a": 0.50, "b": 0.50, "c": 0.40}
    c = contribution_simple(perf, base)
    expected = _frame(
        [[1.0, 0.05 / 0.20, 0.0], [0.10 / 0.30, 1.0, -0.05 / 0.20], [0.0, 0.0, 1.0]], tasks
    )
    pd.testing.assert_frame_equal(c, expected)
    # C_out: row means without the diagonal; C_in: column means without the diagonal
    np.testing.assert_allclose(outward_contribution(c), [0.125, (1 / 3 - 0.25) / 2, 0.0])
    np.testing.assert_allclose(inward_contribution(c), [(1 / 3) / 2, 0.125, -0.125])


def test_contribution_full_subtracts_the_mini_run():
    tasks = ["a", "b"]
    perf = _frame([[0.9, 0.6], [0.7, 0.8]], tasks)  # V_j(i + mini)
    c = contribution_full(perf, {"a": 0.5, "b": 0.4})
    np.testing.assert_allclose(c.to_numpy(), [[1.0, 0.2 / 0.4], [0.2 / 0.4, 1.0]])


def test_contribution_rejects_degenerate_direct_run():
    perf = _frame([[0.5, 0.6], [0.7, 0.8]], ["a", "b"])
    with pytest.raises(ValueError, match=r"reference for \['a'\], so C\[i->j\] is undefined"):
        contribution_simple(perf, {"a": 0.5, "b": 0.4})


def test_contribution_rejects_mismatched_axes_and_missing_base():
    perf = pd.DataFrame([[0.9, 0.6], [0.7, 0.8]], index=["a", "b"], columns=["b", "a"])
    with pytest.raises(ValueError, match="same tasks in the same order"):
        contribution_simple(perf, {"a": 0.5, "b": 0.4})
    with pytest.raises(ValueError, match=r"`base` has no value for task\(s\) \['b'\]"):
        contribution_simple(_frame([[0.9, 0.6], [0.7, 0.8]], ["a", "b"]), {"a": 0.5})


def test_difficulty_by_hand_and_zero_full():
    d = difficulty({"a": 0.6, "b": 0.8}, {"a": 0.8, "b": 0.8})
    np.testing.assert_allclose(d.to_numpy(), [0.25, 0.0])
    with pytest.raises(ValueError, match=r"full-data performance is 0 for \['b'\]"):
        difficulty({"a": 0.6, "b": 0.0}, {"a": 0.8, "b": 0.0})


def test_direction_of_each_weight():
    tasks = ["giver", "taker", "hard"]
    c_out = {"giver": 0.5, "taker": 0.0, "hard": 0.0}
    c_in = {"giver": 0.2, "taker": 0.6, "hard": 0.2}
    d = {"giver": 0.1, "taker": 0.1, "hard": 0.9}
    w = visatb_weights(c_out, c_in, d)
    lo, li, ld = (dict(zip(tasks, x)) for x in (w.lambda_out, w.lambda_in, w.lambda_d))
    assert lo["giver"] > lo["taker"] == pytest.approx(lo["hard"])
    assert li["taker"] < li["giver"] == pytest.approx(li["hard"])  # helped a lot -> less weight
    assert ld["hard"] > ld["giver"]


def test_from_contribution_matches_manual_aggregation():
    tasks = ["a", "b", "c"]
    c = _frame([[1.0, 0.3, 0.1], [0.0, 1.0, 0.2], [0.4, -0.2, 1.0]], tasks)
    d = {"a": 0.2, "b": 0.5, "c": 0.1}
    w = visatb_from_contribution(c, d, VisATBConfig(temperature=1.0))
    manual = visatb_weights({"a": 0.2, "b": 0.1, "c": 0.1}, {"a": 0.2, "b": 0.05, "c": 0.15}, d, VisATBConfig(temperature=1.0))
    np.testing.assert_allclose(w.weights, manual.weights)
    assert w.to_json()["weights"] == pytest.approx(dict(zip(tasks, manual.weights)))


finite = st.floats(-3, 3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, finite, finite), min_size=1, max_size=12), st.floats(0.05, 5))
def test_weights_average_to_one(rows, temperature):
    tasks = [f"t{i}" for i in range(len(rows))]
    w = visatb_weights(
        {t: r[0] for t, r in zip(tasks, rows)},
        {t: r[1] for t, r in zip(tasks, rows)},
        {t: r[2] for t, r in zip(tasks, rows)},
        VisATBConfig(temperature=temperature),
    )
    assert np.mean(w.weights) == pytest.approx(1.0)
    assert min(w.weights) > 0


def test_equal_signals_give_all_ones():
    np.testing.assert_allclose(scaled_softmax([0.3] * 5, 0.5), np.ones(5))


def test_weights_from_runs_simple_and_full_forms():
    tasks = ["a", "b", "c"]
    perf = _frame([[0.80, 0.55, 0.40], [0.60, 0.70, 0.35], [0.50, 0.50, 0.60]], tasks)
    ref = {"a": 0.50, "b": 0.50, "c": 0.40}
    small = {"a": 0.6, "b": 0.7, "c": 0.3}
    c, w = weights_from_runs(perf, ref, small, form="simple")
    pd.testing.assert_frame_equal(c, contribution_simple(perf, ref))
    np.testing.assert_allclose(w.difficulty, [0.25, 0.0, 0.5])
    c_full, _ = weights_from_runs(perf, ref, small, form="full")
    pd.testing.assert_frame_equal(c_full, c)  # same arithmetic, the inputs differ in meaning
    with pytest.raises(ValueError, match="`form` must be 'simple' or 'full'"):
        weights_from_runs(perf, ref, small, form="precise")


def test_undefined_column_is_left_out_and_gets_a_neutral_inward_weight():
    tasks = ["a", "b", "c"]
    # c's own run leaves c at the base (0.4): column c is undefined
    perf = _frame([[0.80, 0.55, 0.45], [0.60, 0.70, 0.35], [0.50, 0.50, 0.40]], tasks)
    base = {"a": 0.50, "b": 0.50, "c": 0.40}
    c = contribution_simple(perf, base, undefined="nan")
    assert c["c"].isna().all() and not c[["a", "b"]].isna().any().any()
    c_out = outward_contribution(c)
    assert c_out["a"] == pytest.approx(0.25)  # only a -> b counts (a -> c undefined)
    assert c_out["c"] == pytest.approx(0.0)  # c -> a and c -> b are both 0
    c_in = inward_contribution(c)
    assert np.isnan(c_in["c"]) and c_in["a"] == pytest.approx((1 / 3) / 2)
    w = visatb_from_contribution(c, {"a": 0.2, "b": 0.2, "c": 0.2})
    assert dict(zip(w.tasks, w.c_in))["c"] == pytest.approx((c_in["a"] + c_in["b"]) / 2)
    assert np.mean(w.weights) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"undefined for those columns"):
        weights_from_runs(perf, base, {"a": 0.6, "b": 0.6, "c": 0.3})
    _, w2 = weights_from_runs(perf, base, {"a": 0.6, "b": 0.6, "c": 0.3}, undefined="nan")
    assert w2.weights == pytest.approx(visatb_from_contribution(c, difficulty({"a": 0.6, "b": 0.6, "c": 0.3}, {"a": 0.8, "b": 0.7, "c": 0.4}), VisATBConfig()).weights)
