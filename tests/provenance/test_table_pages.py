"""Analysis tables as report pages: every table gets a page, bad files are named."""

import pytest

from tasktransfer.provenance import render_table_page, write_table_pages


def _analysis(root):
    (root / "m7").mkdir(parents=True)
    (root / "figures").mkdir()
    (root / "m7" / "pgf_matrix.csv").write_text("source,A,B\nA,0.123456789,-0.5\nB,<b>,1\n")
    (root / "m7" / "cliques.json").write_text('{"positive": [["A", "B"]], "negative": []}')
    (root / "trends.csv").write_text("task,slope\nA,0.25\n")
    (root / "figures" / "m7_pgf_heatmap.png").write_bytes(b"\x89PNG")
    (root / "figures" / "stats.csv").write_text("x\n1\n")  # figures/ is not a table folder
    return root


def test_one_page_per_table_with_the_same_relative_name(tmp_path):
    out = tmp_path / "pages"
    written = write_table_pages(_analysis(tmp_path / "analysis"), out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "m7/cliques.html", "m7/pgf_matrix.html", "trends.html"]
    page = (out / "m7" / "pgf_matrix.html").read_text()
    assert "<td>0.1235</td>" in page and "<td>-0.5</td>" in page  # shortened for reading
    assert "&lt;b&gt;" in page and "<b>" not in page.split("<body>")[1]
    assert "pgf_matrix.csv" in page and "2 rows" in page
    assert '&quot;positive&quot;' in (out / "m7" / "cliques.html").read_text()


def test_a_ragged_csv_names_file_and_line(tmp_path):
    bad = tmp_path / "t.csv"
    bad.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match=r"t\.csv, line 3: 1 fields, expected 2"):
        render_table_page(bad, "t")


def test_no_tables_is_an_error_and_leaves_no_output(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no CSV or JSON tables"):
        write_table_pages(tmp_path / "empty", tmp_path / "pages")
    assert not (tmp_path / "pages").exists()
