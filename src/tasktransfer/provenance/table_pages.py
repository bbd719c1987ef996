"""HTML pages of the analysis tables, so the report shows them instead of offering downloads.

The Snakemake report displays images, PDFs and HTML inline and anything else only as a
download link; the CSV and JSON files stay the canonical outputs and each page names its
source file.
"""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path

from ..atomic import atomic_dir
from .html_table import page, table

TABLE_SUFFIXES = (".csv", ".json")


def _number(cell: str) -> str:
    """Long floats shortened for reading; the CSV keeps full precision."""
    try:
        value = float(cell)
    except ValueError:
        return cell
    return cell if value.is_integer() or len(cell) <= 8 else f"{value:.4g}"


def render_table_page(path: str | os.PathLike[str], title: str) -> str:
    path = Path(path)
    note = f"<p>Source: <code>{html.escape(path.name)}</code> (full precision there).</p>"
    if path.suffix == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from exc
        return page(title, note + "<pre>" + html.escape(json.dumps(obj, indent=2, sort_keys=True)) + "</pre>")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"{path}: empty CSV (expected a header line)")
    header, body = rows[0], rows[1:]
    width = len(header)
    for n, row in enumerate(body, 2):
        if len(row) != width:
            raise ValueError(f"{path}, line {n}: {len(row)} fields, expected {width} as in the header")
    count = f"<p>{len(body)} rows.</p>"
    return page(title, note + count + table(header, ([_number(c) for c in row] for row in body)))


def write_table_pages(analysis_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> list[Path]:
    """One page per CSV/JSON under ``analysis_dir`` (figures excluded), same relative names."""
    root = Path(analysis_dir)
    sources = sorted(p for p in root.rglob("*") if p.suffix in TABLE_SUFFIXES and p.is_file()
                     and "figures" not in p.relative_to(root).parts)
    if not sources:
        raise ValueError(f"{root}: no CSV or JSON tables found (is this an analysis output folder?)")
    written = []
    with atomic_dir(out_dir) as tmp:
        for src in sources:
            rel = src.relative_to(root).with_suffix(".html")
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(render_table_page(src, str(rel.with_suffix(""))), encoding="utf-8")
            written.append(Path(out_dir) / rel)
    return written
