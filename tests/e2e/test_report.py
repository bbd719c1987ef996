"""`snakemake --report` on a finished run: every figure and table captioned and categorised,
the manifest included, and the page renders in a real (headless) browser."""

import json
import re

import pytest

from browser import find_chromium, rendered_dom, screenshot
from snakemake_run import ROOT, snakemake

pytestmark = pytest.mark.slow

GENERIC = "Output of the transfer analysis."


@pytest.fixture(scope="module")
def report(planted_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    snakemake(planted_run, "--configfile", str(ROOT / "config/planted.yaml"), "--report", str(out))
    return out


def _embedded(page: str, name: str) -> dict:
    m = re.search(rf'<script id="{name}">\s*var {name} = (.*?);?\s*</script>', page, re.S)
    assert m, f"report has no embedded `{name}`"
    return json.loads(m.group(1))


def test_every_figure_and_table_is_in_the_report_with_its_caption(planted_run, report):
    page = report.read_text()
    categories, results = _embedded(page, "categories"), _embedded(page, "results")
    analysis = planted_run / "results/analysis"
    figures = {f"results/analysis/{p.relative_to(analysis)}" for p in (analysis / "figures").glob("*.png")}
    tables = {
        f"results/report/analysis_tables/{p.relative_to(analysis).with_suffix('.html')}"
        for p in analysis.rglob("*") if p.suffix in (".csv", ".json") and "figures" not in p.parts
    }
    assert figures and tables
    transfer = categories["Transfer analysis"]
    assert set(transfer["Figures"]) == figures
    assert set(transfer["Tables: tiny"]) | set(transfer["Tables: across models"]) == tables
    assert "results/analysis/tiny/pgf_matrix.csv" not in results  # shown as its HTML page
    assert categories["Provenance"]["Other"] == ["results/provenance/manifest.html"]
    assert {"Data selection", "Task balancing"} <= set(categories["Extensions"])
    parity_page = "results/report/parity/tiny.html"
    assert categories["Evaluation"]["Letter scoring vs generation"] == [parity_page]
    assert "PGF denominator" in results[parity_page]["caption"]
    assert results[parity_page]["mime_type"] == "text/html"
    for path in figures | tables:
        caption = results[path]["caption"]
        assert caption.strip() and GENERIC not in caption, f"{path}: caption {caption!r}"
    assert "Perfection Gap Factor" in results["results/analysis/figures/tiny_pgf_heatmap.png"]["caption"]
    assert results["results/report/analysis_tables/tiny/pgf_matrix.html"]["mime_type"] == "text/html"


def test_report_renders_in_a_browser(report, tmp_path):
    browser = find_chromium()
    if browser is None:
        pytest.skip("no Chromium and no way to install it (needs root and apt-get)")
    # scripts carry the same names as data; only the rendered menu has them in <span>s
    dom = re.sub(r"<script.*?</script>", "", rendered_dom(browser, report), flags=re.S)
    for category in ("Transfer analysis", "Evaluation", "Provenance", "Extensions"):
        assert f"<span>{category}</span>" in dom, f"the rendered report shows no '{category}' menu entry"
    png = screenshot(browser, report, tmp_path / "report.png")
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
