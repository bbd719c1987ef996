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


# Persona labels on the released data with the default rule (mean rank, top 3, every model
# nonzero), each with its (3B, 7B, 32B) ranks; docs/analysis.md compares them with the paper.
RELEASED_PERSONAS = {
    "donor": {"Semantic_Correspondence": (3, 1, 1), "Counting": (2, 8, 2), "Visual_Correspondence": (9, 2, 5)},
    "pirate": {"Functional_Correspondence": (6, 2, 5), "Object_Localization": (2, 1, 12), "Relative_Depth": (7, 6, 3)},
    "sponge": {"Relative_Depth": (1, 1, 4), "Visual_Similarity": (3, 5, 1), "Art_Style": (8, 2, 2)},
    "sieve": {"Forensic_Detection": (3, 5, 2), "Object_Localization": (6, 10, 1), "Semantic_Correspondence": (9, 4, 4)},
}


@pytest.fixture(scope="module")
def released_personas(tmp_path_factory):
    refs = bundled_reference()
    out = tmp_path_factory.mktemp("released") / "out"
    run_released({m: refs[f"Qwen2.5-VL-{m}"] for m in ("3B", "7B", "32B")}, out, {"figures": False})
    return pl.read_csv(out / "personas.csv")


def test_released_persona_labels(released_personas):
    df = released_personas
    assert df.columns == ["persona", "task", "label", "mean_rank", "n_models_nonzero",
                          "rank_3B", "rank_7B", "rank_32B", "value_3B", "value_7B", "value_32B"]
    for persona, expected in RELEASED_PERSONAS.items():
        got = df.filter((pl.col("persona") == persona) & pl.col("label"))
        assert got["task"].to_list() == list(expected), persona  # ordered by mean rank
        ranks = [tuple(int(r) for r in row) for row in got.select("rank_3B", "rank_7B", "rank_32B").iter_rows()]
        assert ranks == list(expected.values()), persona
        assert (got["n_models_nonzero"] == 3).all()


def test_released_zero_malleability_ties_are_no_sieves(released_personas):
    """32B's negative malleability is exactly 0 for nine targets: they share rank 9 (the
    average of 5..13) and cannot be sieves. With the tie's best rank (5), as before,
    Visual Similarity and Spatial Relation were labelled sieves."""
    sieves = released_personas.filter(pl.col("persona") == "sieve")
    zero = sieves.filter(pl.col("value_32B") == 0)
    assert zero.height == 9 and (zero["rank_32B"] == 9.0).all() and not zero["label"].any()
    assert sorted(sieves.filter(pl.col("value_32B") < 0)["task"]) == [
        "Forensic_Detection", "Multi-view_Reasoning", "Object_Localization", "Semantic_Correspondence"]
    for task in ("Visual_Similarity", "Spatial_Relation", "Visual_Correspondence"):
        row = sieves.filter(pl.col("task") == task).row(0, named=True)
        assert row["value_32B"] == 0 and row["n_models_nonzero"] == 2 and not row["label"]
    # Visual Similarity has the second-best mean rank of all sieve candidates, yet no label
    assert sieves.sort("mean_rank")["task"][:2].to_list() == ["Forensic_Detection", "Visual_Similarity"]


def test_released_seed_level_tests(released):
    """Four seed values per cell: Wilcoxon can mark nothing; the seed t-test (questions fixed) marks some."""
    from tasktransfer.analysis.stats import seed_tests

    expected = {"Qwen2.5-VL-3B": (37, 10), "Qwen2.5-VL-7B": (49, 1), "Qwen2.5-VL-32B": (83, 0)}
    for name, (per_seed, _) in released.items():
        df = seed_tests(seed_values(per_seed.with_columns(pl.lit(name).alias("model")), CFG)).filter(
            pl.col("source") != pl.col("target")
        )
        assert df.height == 156 and df["n_seeds"].unique().to_list() == [4]
        assert (df["wilcoxon_p"] >= 0.125).all() and (df["wilcoxon_min_p"] >= 0.125).all()
        assert (int(df["t_significant"].sum()), int(df["t_p_value"].is_nan().sum())) == expected[name]
        marked = df.filter(pl.col("t_significant"))
        assert (marked["t_q_value"] <= 0.05).all() and (marked["mean"] != 0).all()
