"""Readers for PGF / q-value matrices and seed-mean accuracies."""

from __future__ import annotations

import pandas as pd
import pytest

from tasktransfer.extensions.inputs import mean_accuracy, performance_matrix, read_matrix


def test_read_wide_and_long(tmp_path):
    wide = tmp_path / "pgf_matrix.csv"
    wide.write_text("source,a,b\na,0.5,0.1\nb,,0.7\n")
    m = read_matrix(wide)
    assert m.loc["a", "b"] == 0.1 and pd.isna(m.loc["b", "a"]) and list(m.columns) == ["a", "b"]
    long = tmp_path / "q.csv"
    long.write_text("source,target,q\na,b,0.01\nb,a,0.2\n")
    q = read_matrix(long, value="q")
    assert q.loc["b", "a"] == 0.2


@pytest.mark.parametrize(
    "text, value, match",
    [
        ("a,b\n1,2\n", None, "missing column 'source'"),
        ("source,a\na,x\n", None, "non-numeric matrix value"),
        ("source,a\na,1\na,2\n", None, r"duplicate source row\(s\) \['a'\]"),
        ("source,target,q\na,b,1\na,b,2\n", "q", "duplicate cell source='a' target='b'"),
        ("source,target\na,b\n", "q", r"missing column\(s\) \['q'\]"),
    ],
)
def test_read_matrix_errors_name_the_file(tmp_path, text, value, match):
    p = tmp_path / "m.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=f"m.csv: {match}"):
        read_matrix(p, value)


def test_mean_accuracy_and_matrix():
    acc = pd.DataFrame(
        {
            "source": ["a", "a", "a", "a", "b", "b"],
            "seed": ["0", "1", "0", "1", "0", "0"],
            "target": ["a", "a", "b", "b", "a", "b"],
            "n_correct": [6, 8, 3, 5, 2, 9],
            "n_total": [10, 10, 10, 10, 10, 10],
        }
    )
    mean = mean_accuracy(acc)
    v = performance_matrix(mean, ["a", "b"])
    assert v.loc["a", "a"] == pytest.approx(0.7) and v.loc["a", "b"] == pytest.approx(0.4)
    assert v.loc["b", "b"] == pytest.approx(0.9)
    assert mean.set_index(["source", "target"]).loc[("a", "a"), "n_seeds"] == 2
    relabelled = performance_matrix(mean.assign(source=mean["source"] + "+mini"), ["a", "b"], ["a+mini", "b+mini"])
    pd.testing.assert_frame_equal(relabelled, v)
    with pytest.raises(ValueError, match="no accuracy for the run 'a' evaluated on 'c'"):
        performance_matrix(mean, ["a", "c"])
    with pytest.raises(ValueError, match="n_correct=11, n_total=10"):
        mean_accuracy(acc.assign(n_correct=[11, 8, 3, 5, 2, 9]))
