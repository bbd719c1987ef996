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


def test_colour_limit_ignores_zero_cells_and_marks_clipping():
    import numpy as np

    from tasktransfer.analysis.figures.heatmap import colour_limit

    sparse = np.zeros((13, 13))
    sparse[1, 1], sparse[1, 7], sparse[6, 9] = -0.06, 0.17, 0.11
    vmax, extend = colour_limit(sparse)
    assert 0.11 < vmax < 0.17 and extend == "max"  # zeros do not pull the scale towards 0
    dense = np.linspace(-0.5, 0.5, 169).reshape(13, 13)
    dense[0, 0] = -40.0  # PGF is unbounded below: one cell must not set the scale
    vmax, extend = colour_limit(dense)
    assert 0.45 < vmax < 0.5 and extend == "both"
    assert colour_limit(np.zeros((2, 2))) == (1.0, "neither")
    assert colour_limit(np.full((2, 2), np.nan)) == (1.0, "neither")
