"""Bad input gives an error naming the file, line and field, never a silent number."""

from __future__ import annotations

import pytest

from tasktransfer.analysis.io import read_accuracies, read_released_pgf
from tasktransfer.tasks import BLINK_TASKS

GOOD = [("m", "base", "", "Counting", 40, 80), ("m", "Counting", "0", "Counting", 50, 80)]


def test_reads_good_table(write_rows, tmp_path):
    df = read_accuracies(write_rows(tmp_path / "a.csv", GOOD), BLINK_TASKS)
    assert df.height == 2 and df["seed"].to_list() == ["", "0"]
    assert df["n_correct"].dtype.is_integer()


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        (
            [r[:5] for r in GOOD],
            ("model", "source", "seed", "target", "n_correct"),
            r"a\.csv: missing column\(s\) n_total; expected columns: model, source, seed, target, n_correct, n_total",
        ),
        (
            [*GOOD, ("m", "Counting", "0", "Countin", 50, 80)],
            None,
            r"a\.csv: line 4: unknown task 'Countin' in column 'target'; expected one of: ",
        ),
        (
            [*GOOD, ("m", "IQ_Test", "0", "Counting", 50, 80)],
            None,
            r"a\.csv: line 4: unknown task 'IQ_Test' in column 'source'",
        ),
        (
            [*GOOD, ("m", "Counting", "0", "Counting", 51, 80)],
            None,
            r"a\.csv: duplicate cell \(model='m', source='Counting', seed='0', target='Counting'\) on lines 3 and 4",
        ),
        (
            [*GOOD[:1], ("m", "Counting", "0", "Counting", "NaN", 80)],
            None,
            r"a\.csv: line 3: field 'n_correct' is 'NaN'; expected a non-negative integer count",
        ),
        (
            [*GOOD[:1], ("m", "Counting", "0", "Counting", "", 80)],
            None,
            r"a\.csv: line 3: field 'n_correct' is None; expected a non-negative integer count",
        ),
        (
            [*GOOD[:1], ("m", "Counting", "0", "Counting", 81, 80)],
            None,
            r"a\.csv: line 3: n_correct=81 n_total=80; expected 0 <= n_correct <= n_total and n_total > 0",
        ),
    ],
    ids=["missing-column", "unknown-target", "unknown-source", "duplicate", "nan", "empty", "too-many-correct"],
)
def test_bad_accuracy_tables(write_rows, tmp_path, rows, header, message):
    path = write_rows(tmp_path / "a.csv", rows, header or ("model", "source", "seed", "target", "n_correct", "n_total"))
    with pytest.raises(ValueError, match=message):
        read_accuracies(path, BLINK_TASKS)


def test_missing_file(write_rows, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file"):
        read_accuracies(tmp_path / "nope.csv", BLINK_TASKS)


def test_released_nan_is_an_error(write_rows, tmp_path):
    path = write_rows(
        tmp_path / "r.csv",
        [("initial", "Counting", "Jigsaw", "0.5"), ("seed_0", "Counting", "Jigsaw", "nan")],
        ("seed", "ft_task", "task", "perfection_gap_factor"),
    )
    with pytest.raises(ValueError, match=r"r\.csv: line 3: field 'perfection_gap_factor' is 'nan'; expected a finite number"):
        read_released_pgf(path, BLINK_TASKS)
