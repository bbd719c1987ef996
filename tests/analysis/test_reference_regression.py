"""Regression against the authors' released PGF data (bundled in tasktransfer/reference_data)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tasktransfer.analysis import AnalysisSettings, to_matrix
from tasktransfer.analysis.cliques import all_cliques
from tasktransfer.analysis.io import read_released_pgf
from tasktransfer.analysis.knife_edge import knife_edge_report
from tasktransfer.analysis.pgf import seed_values, summarise_float_pgf
from tasktransfer.analysis.pipeline import run_released
from tasktransfer.analysis.reference import bundled_reference
from tasktransfer.analysis.transfer import transferability

CFG = AnalysisSettings.from_mapping()
POSITIVE_9 = [
    "Art_Style", "Counting", "Functional_Correspondence", "Jigsaw", "Relative_Depth",
    "Relative_Reflectance", "Spatial_Relation", "Visual_Correspondence", "Visual_Similarity",
]
NEGATIVE_4 = ["Forensic_Detection", "Multi-view_Reasoning", "Object_Localization", "Semantic_Correspondence"]


@pytest.fixture(scope="module")
def released():
    out = {}
    for name, path in bundled_reference().items():
        per_seed = read_released_pgf(path, CFG.tasks)
        out[name] = (per_seed, to_matrix(summarise_float_pgf(per_seed, name, CFG), CFG.tasks))
    return out


def test_bundled_files_are_complete(released):
    assert list(released) == ["Qwen2.5-VL-3B", "Qwen2.5-VL-7B", "Qwen2.5-VL-32B"]
    for per_seed, matrix in released.values():
        assert per_seed.height == 4 * 13 * 13
        assert matrix.values.shape == (13, 13) and np.isfinite(matrix.values).all()


def test_32b_has_one_positive_nine_clique(released):
    cliques = all_cliques(released["Qwen2.5-VL-32B"][1])
    assert cliques["positive"][0] == POSITIVE_9
    assert [len(c) for c in cliques["positive"]] == [9, 3, 2]


def test_32b_has_exactly_one_negative_clique_with_zeros_as_zero(released):
    assert all_cliques(released["Qwen2.5-VL-32B"][1])["negative"] == [NEGATIVE_4]


def test_float_mean_would_invent_the_papers_second_negative_clique(released):
    per_seed, matrix = released["Qwen2.5-VL-32B"]
    cell = per_seed.filter((pl.col("source") == "Forensic_Detection") & (pl.col("target") == "Functional_Correspondence"))
    naive = float(np.mean(cell["pgf"].to_numpy()))
    assert -1e-15 < naive < 0  # the trap: -1.3e-17
    i, j = matrix.sources.index("Forensic_Detection"), matrix.targets.index("Functional_Correspondence")
    assert matrix.values[i, j] == 0.0
    broken = matrix.values.copy()
    broken[i, j] = naive
    from tasktransfer.analysis.pgf import Matrix

    wrong = all_cliques(Matrix(broken, matrix.sources, matrix.targets))["negative"]
    assert ["Forensic_Detection", "Functional_Correspondence"] in wrong and len(wrong) == 2


def test_knife_edge_report_names_the_second_negative_clique(released):
    per_seed, matrix = released["Qwen2.5-VL-32B"]
    report = knife_edge_report(seed_values(per_seed, CFG), matrix)
    row = report.filter((pl.col("source") == "Forensic_Detection") & (pl.col("target") == "Functional_Correspondence"))
    assert row.height == 1
    r = row.row(0, named=True)
    assert r["pgf_mean"] == 0.0 and r["zero_by_tolerance"] is True
    assert r["seed_values"] == "0;0;-0.0111111;0.0111111"
    assert "negative:Forensic_Detection+Functional_Correspondence" in r["cliques_gained"].split("; ")
    # exactly one cell of 32B is a tolerance knife edge
    assert report["zero_by_tolerance"].sum() == 1


def test_mean_positive_transferability_rises_with_size(released):
    means = [transferability(m)["delta_pos"].mean() for _, m in released.values()]
    assert means[0] < means[1] < means[2]
    assert means == pytest.approx([0.041, 0.043, 0.120], abs=6e-4)


def test_logistic_n_used_variant(released):
    means = [transferability(m, n_mode="used")["delta_pos"].mean() for _, m in released.values()]
    assert means == pytest.approx([0.0432, 0.0452, 0.1273], abs=2e-4)


def test_run_released_writes_the_contract(tmp_path):
    refs = bundled_reference()
    run_released({"32B": refs["Qwen2.5-VL-32B"], "3B": refs["Qwen2.5-VL-3B"]}, tmp_path / "out", {"figures": False})
    out = tmp_path / "out"
    cliques = json.loads((out / "32B" / "cliques.json").read_text())
    assert cliques["positive"][0] == POSITIVE_9 and cliques["negative"] == [NEGATIVE_4]
    t = pl.read_csv(out / "32B" / "transferability.csv")
    assert t.columns == ["task", "delta_pos", "delta_neg", "n_pos", "n_neg"] and t.height == 13
    assert pl.read_csv(out / "32B" / "malleability.csv").columns == t.columns
    m = pl.read_csv(out / "32B" / "pgf_matrix.csv")
    assert m.columns == ["source", *CFG.tasks] and m["source"].to_list() == list(CFG.tasks)
    trends = pl.read_csv(out / "trends.csv")
    assert trends["model"].to_list() == ["3B", "32B"]  # ordered by parsed size
    for name in ("personas.csv", "categories.csv", "settings.json"):
        assert (out / name).exists()
