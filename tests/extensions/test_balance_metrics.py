"""Delta I % and Delta E % (VisATB eq. 9)."""

from __future__ import annotations

import pandas as pd
import pytest

from tasktransfer.extensions.balance_metrics import balance_summary, per_task_improvement


def test_hand_computed_single_metric():
    # I = (+10 %, -20 %, 0 %): Delta I = -10/3 %, Delta E = 20/3 %
    s = balance_summary({"a": 0.55, "b": 0.40, "c": 0.30}, {"a": 0.50, "b": 0.50, "c": 0.30})
    assert s.per_task.tolist() == pytest.approx([10.0, -20.0, 0.0])
    assert s.delta_i_pct == pytest.approx(-10 / 3)
    assert s.delta_e_pct == pytest.approx(20 / 3)


def test_lower_is_better_metric_flips_sign_and_metrics_average_within_task():
    stl = pd.DataFrame(
        {"task": ["a", "a", "b"], "metric": ["acc", "err", "acc"], "value": [0.5, 0.2, 0.8], "higher_is_better": [True, False, True]}
    )
    method = stl.assign(value=[0.6, 0.3, 0.8])  # acc +20 %, err +50 % (worse) -> I_a = (20 - 50)/2
    s = balance_summary(method, stl)
    assert s.per_task.to_dict() == pytest.approx({"a": -15.0, "b": 0.0})
    assert s.delta_i_pct == pytest.approx(-7.5)
    assert s.delta_e_pct == pytest.approx(7.5)


# Table 3 of the VisATB paper (Academic Benchmark): STL and methods, and their reported
# Delta I % / Delta E %. IGBv1 is left out: its row gives Delta I = 0.17 while its own
# numbers give 1.17 (a typo in the paper, the Delta E of 1.13 matches).
TABLE3_TASKS = ["ShareGPT4V", "Ref-caption", "VQAv2", "GQA", "ChartQA", "OCRVQA", "Ref-bbox"]
TABLE3_STL = [0.1285, 0.4658, 77.73, 61.23, 17.76, 68.22, 51.58]
TABLE3 = {
    "EW": ([0.1411, 0.5591, 78.27, 62.20, 19.60, 67.73, 61.63], 8.75, 0.10),
    "TLA": ([0.1144, 0.5770, 77.72, 60.42, 22.36, 67.80, 56.58], 6.65, 1.85),
    "RLW": ([0.1388, 0.5571, 77.28, 60.61, 18.20, 66.73, 55.86], 4.95, 0.54),
    "DWA": ([0.1225, 0.5470, 78.28, 61.82, 19.88, 67.87, 61.12], 6.34, 0.74),
    "VisATB": ([0.1437, 0.5724, 77.99, 61.81, 20.16, 67.48, 67.38], 11.29, 0.15),
}


@pytest.mark.parametrize("method", sorted(TABLE3))
def test_reproduces_visatb_table3(method):
    values, delta_i, delta_e = TABLE3[method]
    s = balance_summary(dict(zip(TABLE3_TASKS, values)), dict(zip(TABLE3_TASKS, TABLE3_STL)))
    assert round(s.delta_i_pct, 2) == delta_i
    assert round(s.delta_e_pct, 2) == delta_e


def test_identical_to_stl_is_zero():
    s = balance_summary({"a": 0.7, "b": 0.3}, {"a": 0.7, "b": 0.3})
    assert (s.delta_i_pct, s.delta_e_pct) == (0.0, 0.0)


@pytest.mark.parametrize(
    "method, stl, match",
    [
        ({"a": 0.5}, {"a": 0.5, "b": 0.4}, r"only in stl \[\('b', 'accuracy'\)\]"),
        ({"a": 0.5}, {"a": 0.0}, "stl value is 0"),
        ({"a": float("nan")}, {"a": 0.5}, "non-finite"),
        (pd.DataFrame({"task": ["a"], "value": [0.5]}), {"a": 0.5}, r"lacks column\(s\) \['metric', 'higher_is_better'\]"),
    ],
)
def test_bad_input(method, stl, match):
    with pytest.raises(ValueError, match=match):
        per_task_improvement(method, stl)
