"""Figure files: PNG + PDF next to each other, names with dots kept, same input same bytes."""

from __future__ import annotations

import numpy as np

from tasktransfer.analysis.figures.heatmap import pgf_heatmap
from tasktransfer.analysis.figures.surface import pgf_grid
from tasktransfer.analysis.pgf import Matrix


def test_heatmap_files_keep_dotted_model_names_and_are_deterministic(tmp_path):
    m = Matrix(np.array([[0.5, -0.25], [np.nan, 0.0]]), ("Counting", "Jigsaw"), ("Counting", "Jigsaw"))
    paths = pgf_heatmap(m, "t", tmp_path / "Qwen2.5-VL-7B_pgf_heatmap")
    assert [p.name for p in paths] == ["Qwen2.5-VL-7B_pgf_heatmap.png", "Qwen2.5-VL-7B_pgf_heatmap.pdf"]
    first = [p.read_bytes() for p in paths]
    assert first[0][:8] == b"\x89PNG\r\n\x1a\n" and first[1][:5] == b"%PDF-"
    pgf_heatmap(m, "t", tmp_path / "Qwen2.5-VL-7B_pgf_heatmap")
    assert [p.read_bytes() for p in paths] == first


def test_pgf_grid_matches_formula_and_domain():
    z = pgf_grid(np.array([50.0, 90.0]), np.array([-60.0, -50.0, 10.0, 50.0]))
    assert np.isnan(z[0, 0])  # 50 - 60 < 0: impossible
    assert z[1, 0] == -1.0 and z[2, 0] == 0.2 and z[3, 0] == 1.0
    assert z[2, 1] == 1.0 and np.isnan(z[3, 1])  # 90 + 50 > 100
