"""End to end on the planted-structure config: both extension studies through Snakemake.

The planted config makes the answer known: J's evaluation rewards the letter C, which
C1, C2 and C3 teach and B1, B2 do not, so the selection must pick C tasks for J and
their mixture must beat random two-task mixtures (which include a B task).
Minutes of CPU: marked slow.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

MODEL = "tiny"


@pytest.fixture(scope="module")
def workdir(planted_run):
    """The shared planted run (tests/conftest.py): config/planted.yaml has both studies on."""
    return planted_run / "results" / "extensions" / MODEL


@pytest.mark.slow
def test_selection_picks_planted_helpers_and_beats_random(workdir):
    ranking = pd.read_csv(workdir / "selection" / "specs" / "ranking.csv")
    chosen = ranking.loc[ranking["eligible"], "source"].head(2).tolist()
    assert len(chosen) == 2 and set(chosen) <= {"C1", "C2", "C3"}
    assert not ranking.loc[ranking["source"].isin(["B1", "B2"]), "eligible"].any()
    table = pd.read_csv(workdir / "selection" / "selection.csv").set_index("strategy")
    assert table.loc["pgf_topk", "accuracy"] > table.loc["random", "accuracy"]
    assert table.loc["pgf_topk", "pgf"] > table.loc["random", "pgf"]
    assert (workdir / "selection" / "selection.png").stat().st_size > 1000


@pytest.mark.slow
def test_visatb_weights_and_balance_table(workdir):
    record = json.loads((workdir / "balance" / "visatb" / "visatb.json").read_text())
    weights = record["weights"]
    assert set(weights) == {"C1", "C2", "C3", "B1", "B2", "J"}
    assert sum(weights.values()) / len(weights) == pytest.approx(1.0)
    summary = pd.read_csv(workdir / "balance" / "balance_summary.csv")
    assert summary["method"].tolist() == ["stl", "ew", "tla", "vitw"]
    assert (workdir / "balance" / "balance.png").stat().st_size > 1000
