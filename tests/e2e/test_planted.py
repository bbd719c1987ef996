"""End to end on the planted-structure config: the study must recover what was planted.

config/planted.yaml documents the plant: C1-C3 share a rule, B1-B2 share a conflicting
rule, and J is the asymmetric partner of C1 (C1 helps J, J does not help C1). The matrix
is read by (source row, target column), so a transposition fails the asymmetry check.
"""

import csv
import json

import pytest

from snakemake_run import ROOT, job_stats, snakemake

pytestmark = pytest.mark.slow


def test_premise_base_answers_d(planted_run):
    """The plant assumes the untuned tiny model answers D on 4-option questions."""
    import pyarrow.parquet as pq

    predictions = pq.read_table(planted_run / "results/eval/tiny/base/predictions.parquet").column("prediction")
    letters = set(predictions.to_pylist())
    assert letters == {"D"}, (
        f"config/planted.yaml assumes the base model answers D; it answered {sorted(letters)}. "
        "The tiny model changed (src/tasktransfer/model/tiny.py): re-plant around its new letter."
    )


def _matrix(path):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return {r["source"]: {k: float(v) for k, v in r.items() if k != "source"} for r in rows}


def test_planted_blocks_and_asymmetry(planted_run):
    work = planted_run
    pgf = _matrix(work / "results/analysis/tiny/pgf_matrix.csv")
    C, D = ["C1", "C2", "C3"], ["B1", "B2"]
    for i in C:
        for j in C:
            assert pgf[i][j] > 0.3, (i, j, pgf[i][j])
    for i in D:
        for j in D:
            assert pgf[i][j] > 0.3, (i, j, pgf[i][j])
    for i in C:
        for j in D:
            assert pgf[i][j] < -0.2 and pgf[j][i] < -0.2, (i, j)
    # asymmetric pair, in this orientation only: row = fine-tuned on, column = evaluated on
    assert pgf["C1"]["J"] > 0.3
    assert abs(pgf["J"]["C1"]) < 0.1
    assert pgf["C1"]["J"] - pgf["J"]["C1"] > 0.3


def test_planted_cliques(planted_run):
    work = planted_run
    cliques = json.loads((work / "results/analysis/tiny/cliques.json").read_text())
    assert ["C1", "C2", "C3"] in cliques["positive"]
    assert ["B1", "B2"] in cliques["positive"]
    assert not any("J" in c for c in cliques["positive"])  # J -> C is not positive: no reciprocal edge
    negative = {tuple(c) for c in cliques["negative"]}
    assert {(b, c) for c in ["C1", "C2", "C3"] for b in ["B1", "B2"]} <= negative


def test_every_job_wrote_log_and_benchmark(planted_run):
    work = planted_run
    logs = list((work / "results/logs/train_lora").rglob("*.log"))
    benches = list((work / "results/benchmarks/train_lora").rglob("*.tsv"))
    assert len(logs) == len(benches) == 12
    assert "train_loss" in (work / "results/checkpoints/tiny/C1/seed0/metrics.json").read_text()


def test_second_run_has_nothing_to_do(planted_run):
    work = planted_run
    proc = snakemake(work, "--configfile", str(ROOT / "config/planted.yaml"), "--cores", "2", "-n")
    assert job_stats(proc.stdout + proc.stderr) == {}
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_parity_letter_half_is_the_base_evaluation(planted_run):
    """eval_parity's letter scoring gives the base accuracies eval_base gave (same model, questions, code)."""
    with open(planted_run / "results/eval/accuracies.csv") as fh:
        base = {r["target"]: int(r["n_correct"]) / int(r["n_total"])
                for r in csv.DictReader(fh) if r["source"] == "base"}
    with open(planted_run / "results/eval/tiny/parity/parity.csv") as fh:
        parity = {r["target"]: r for r in csv.DictReader(fh)}
    assert set(base) < set(parity)  # plus the two summary rows
    for target, accuracy in base.items():
        assert float(parity[target]["letter_accuracy"]) == pytest.approx(accuracy), target
        assert 0 <= float(parity[target]["lmms_eval_unparsed"]) <= 1
