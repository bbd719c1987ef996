"""Escaped HTML tables and the one stylesheet the report's own pages share."""

from __future__ import annotations

import html
from typing import Any, Iterable

STYLE = (
    "body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;margin-bottom:1em}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:90%}"
)


def table(headers: list[str], rows: Iterable[Iterable[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if c is None else str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""  # key-value tables need none
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def page(title: str, body: str) -> str:
    """A self-contained page: the Snakemake report shows it in a frame, offline."""
    t = html.escape(title)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{t}</title>"
        f"<style>{STYLE}</style></head><body><h1>{t}</h1>{body}</body></html>"
    )
