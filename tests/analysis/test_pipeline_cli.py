"""End to end: pipeline.run on a synthetic study (predictions, adapters, figures) and the CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tasktransfer.analysis.pipeline import run
from tasktransfer.analysis.synthetic import make_study
from tasktransfer.cli import main

TASKS = ["Counting", "Jigsaw", "Art_Style", "Relative_Depth"]
SETTINGS = {"tasks": TASKS, "significance": {"n_bootstrap": 100}}


@pytest.fixture(scope="module")
def study_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("study")
    effects = {
        "toy-1B": np.array([[0, 0.3, 0.3, -0.2], [0.3, 0, 0.3, 0], [0.3, 0.3, 0, 0], [-0.3, 0, 0, 0]]),
        "toy-3B": np.array([[0, 0.5, 0.4, -0.3], [0.4, 0, 0.4, 0], [0.5, 0.4, 0, 0.1], [-0.4, 0, 0, 0]]),
    }
    acc, preds = make_study(list(effects), TASKS, [0, 1, 2], 40, seed=7, effects=effects)
    acc.write_csv(d / "accuracies.csv")
    preds.write_parquet(d / "predictions.parquet")
    return d


@pytest.mark.slow  # draws every figure (~25 s on a shared 2-core machine)
def test_run_writes_every_output(study_files, tmp_path, lora_kit):
    adapters = {
        "toy-3B": {
            t: [lora_kit.write(tmp_path / "ad" / f"{t}{s}", {0: lora_kit.ab(s), 1: lora_kit.ab(10 * i + s)}) for s in (0, 1)]
            for i, t in enumerate(TASKS)
        }
    }
    out = tmp_path / "out"
    text = run(study_files / "accuracies.csv", out, SETTINGS, predictions=study_files / "predictions.parquet",
               adapters=adapters)
    assert text.startswith("donors: ")
    for model in ("toy-1B", "toy-3B"):
        for name in ("pgf_seed.csv", "pgf_summary.csv", "pgf_matrix.csv", "transferability.csv", "malleability.csv",
                     "cliques.json", "knife_edge.csv", "seed_tests.csv", "significance.csv",
                     "transferability_significant.csv", "malleability_significant.csv", "cliques_significant.json"):
            assert (out / model / name).exists(), name
    cliques = json.loads((out / "toy-3B" / "cliques.json").read_text())
    assert cliques["positive"] == [["Art_Style", "Counting", "Jigsaw"]]
    assert cliques["negative"] == [["Counting", "Relative_Depth"]]
    per_seed = pl.read_csv(out / "toy-3B" / "pgf_seed.csv", schema_overrides={"seed": pl.String})
    assert per_seed.height == 4 * 4 * 3 and per_seed["seed"].unique().sort().to_list() == ["0", "1", "2"]
    sig = pl.read_csv(out / "toy-3B" / "significance.csv")
    assert sig.filter((pl.col("source") == "Counting") & (pl.col("target") == "Jigsaw"))["significant"][0]
    lora = pl.read_csv(out / "toy-3B" / "lora_similarity.csv")
    assert lora.columns == ["task", *TASKS] and lora["Counting"][0] == 1.0
    trends = pl.read_csv(out / "trends.csv")
    assert trends["model"].to_list() == ["toy-1B", "toy-3B"] and trends["size_b"].to_list() == [1.0, 3.0]
    assert pl.read_csv(out / "categories.csv")["model"].unique().sort().to_list() == ["toy-1B", "toy-3B"]
    mall = pl.read_csv(out / "category_malleability.csv")
    assert mall.columns[:3] == ["model", "scheme", "target_category"] and mall["model"].unique().len() == 2
    assert (out / "personas_significant.csv").exists()
    figures = sorted(p.name for p in (out / "figures").iterdir())
    for stem in ("toy-3B_pgf_heatmap", "toy-3B_transfer_graph", "toy-3B_cliques", "toy-3B_lora_similarity",
                 "transfer_trends", "personas", "categories_semantic", "categories_hierarchical", "category_malleability_semantic",
                 "category_malleability_hierarchical", "pgf_behaviour"):
        assert f"{stem}.png" in figures and f"{stem}.pdf" in figures, stem
    settings = json.loads((out / "settings.json").read_text())
    assert settings["settings"]["tasks"] == TASKS and settings["settings"]["logistic_n"] == "all"


def test_run_tables_with_predictions(study_files, tmp_path):
    out = tmp_path / "out"
    run(study_files / "accuracies.csv", out, {**SETTINGS, "figures": False}, predictions=study_files / "predictions.parquet")
    assert json.loads((out / "toy-3B" / "cliques.json").read_text()) == {
        "negative": [["Counting", "Relative_Depth"]], "positive": [["Art_Style", "Counting", "Jigsaw"]]}
    sig_cliques = json.loads((out / "toy-3B" / "cliques_significant.json").read_text())
    assert all(len(c) >= 2 for c in sig_cliques["positive"] + sig_cliques["negative"])
    assert not (out / "figures").exists()
    ts = pl.read_csv(out / "toy-1B" / "transferability_significant.csv")
    t = pl.read_csv(out / "toy-1B" / "transferability.csv")
    assert ts.columns == t.columns and (ts["n_pos"] <= t["n_pos"]).all()


def test_same_inputs_same_bytes(study_files, tmp_path):
    outs = []
    for k in range(2):
        run(study_files / "accuracies.csv", tmp_path / f"o{k}", {**SETTINGS, "figures": False},
            predictions=study_files / "predictions.parquet")
        outs.append({p.relative_to(tmp_path / f"o{k}"): p.read_bytes() for p in sorted((tmp_path / f"o{k}").rglob("*")) if p.is_file()})
    assert outs[0] == outs[1] and len(outs[0]) > 20


def test_failed_run_leaves_previous_output(study_files, tmp_path, write_rows):
    out = tmp_path / "out"
    run(study_files / "accuracies.csv", out, {**SETTINGS, "figures": False})
    before = sorted(p.name for p in out.rglob("*"))
    bad = write_rows(tmp_path / "bad.csv", [("m", "base", "", "Counting", 80, 80), ("m", "Counting", "0", "Counting", 9, 80)])
    with pytest.raises(ValueError, match=r"at or above its upper bound"):
        run(bad, out, {**SETTINGS, "figures": False, "ceiling": "error"})
    assert sorted(p.name for p in out.rglob("*")) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_predictions_must_match_counts(study_files, tmp_path):
    preds = pl.read_parquet(study_files / "predictions.parquet")
    flipped = preds.with_columns(
        pl.when((pl.col("question_id") == "Jigsaw-0003") & (pl.col("source") == "base") & (pl.col("model") == "toy-1B"))
        .then(~pl.col("correct")).otherwise(pl.col("correct")).alias("correct")
    )
    flipped.write_parquet(tmp_path / "p.parquet")
    with pytest.raises(ValueError, match=r"predictions do not match accuracies for 1 cell\(s\), first \(model='toy-1B', "
                       r"source='base', seed='', target='Jigsaw'\): \d+/40 correct in predictions vs \d+/40 in accuracies"):
        run(study_files / "accuracies.csv", tmp_path / "o", {**SETTINGS, "figures": False}, predictions=tmp_path / "p.parquet")
    assert not (tmp_path / "o").exists()


def test_cli_accuracies(study_files, tmp_path, capsys):
    settings = tmp_path / "s.yaml"
    settings.write_text("tasks: [Counting, Jigsaw, Art_Style, Relative_Depth]\nfigures: false\n")
    rc = main(["analyze", "--accuracies", str(study_files / "accuracies.csv"), "--settings", str(settings),
               "--out", str(tmp_path / "o")])
    assert rc == 0
    assert "donors: " in capsys.readouterr().out
    assert pl.read_csv(tmp_path / "o" / "toy-1B" / "pgf_matrix.csv").columns == ["source", *TASKS]


def test_cli_released_pairs(tmp_path):
    from tasktransfer.analysis.reference import bundled_reference

    ref = bundled_reference()
    rc = main(["analyze", "--pgf-csv", f"7B={ref['Qwen2.5-VL-7B']}", f"32B={ref['Qwen2.5-VL-32B']}", "--no-figures",
               "--out", str(tmp_path / "o")])
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "32B", "7B", "categories.csv", "category_malleability.csv", "personas.csv", "settings.json", "trends.csv"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pgf-csv", "a/b=x.csv"], "model name 'a/b' cannot be used as a directory name"),
        (["--pgf-csv", "7B=/nonexistent.csv"], "/nonexistent.csv: no such file"),
        (["--bundled-reference", "--predictions", "p.parquet"], "--predictions and --adapters need --accuracies"),
    ],
)
def test_cli_errors(tmp_path, capsys, argv, message):
    rc = main(["analyze", *argv, "--no-figures", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert message in capsys.readouterr().err
