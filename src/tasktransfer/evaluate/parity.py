"""Letter scoring vs lmms-eval-style generation on one base model: the parity table.

The study scores the option letters in one forward pass; peers generate free text and
parse it. PGF divides by the gap between the base model's accuracy and the upper bound,
so a scoring protocol that moves base accuracies moves every PGF denominator. The parity
step (rule ``eval_parity``, ``evaluation.parity: true``) evaluates each base model both
ways on every evaluation task and tabulates, per task and overall:

- ``letter_accuracy``: letter scoring (what the study uses by default);
- per parser (``lmms_eval``, ``blink``): ``<parser>_accuracy`` (unparsed answers count as
  wrong), ``<parser>_agreement`` (the parsed letter equals the letter-scoring prediction;
  unparsed answers disagree), ``<parser>_unparsed`` (rate of answers the parser cannot
  read) and ``<parser>_invalid`` (rate of parsed letters that are not among the
  question's options, e.g. lmms-eval's "T" for "The answer is B");
- ``mean_new_tokens`` and ``truncated`` (rate of answers cut at ``max_new_tokens`` without
  an end of turn: the cap decided them).

Summary rows: ``all questions`` (micro average, as VLMEvalKit) and ``mean over tasks``
(macro average, as BLINK reports). Every generated text is kept next to the table.
"""

from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..atomic import atomic_path
from .extract import EXTRACTORS
from .generate import LMMS_EVAL_MAX_NEW_TOKENS, Generated, agreement_counts
from .scoring import Scored

ALL_QUESTIONS = "all questions"
MEAN_OVER_TASKS = "mean over tasks"
PARSER_METRICS = ("accuracy", "agreement", "unparsed", "invalid")
COLUMNS = (["model", "target", "n_total", "letter_accuracy"]
           + [f"{p}_{m}" for p in EXTRACTORS for m in PARSER_METRICS] + ["mean_new_tokens", "truncated"])
GENERATIONS_SCHEMA = pa.schema(
    [("model", pa.string()), ("target", pa.string()), ("question_id", pa.string()), ("answer", pa.string()),
     ("n_options", pa.int64()), ("letter_prediction", pa.string()), ("generated", pa.string()),
     ("new_tokens", pa.int64()), ("truncated", pa.bool_())]
    + [(f"parsed_{p}", pa.string()) for p in EXTRACTORS]
)


def _rate(k: float, n: int) -> float:
    return k / n if n else 0.0


def _row(model: str, target: str, counts: Mapping[str, int]) -> dict[str, Any]:
    n = counts["n_total"]
    return {"model": model, "target": target, "n_total": n, **{k: _rate(counts[k], n) for k in COLUMNS[3:]}}


def parity_rows(model: str,
                results: Mapping[str, tuple[Sequence[Scored], Sequence[Generated]]]) -> list[dict[str, Any]]:
    """One row per task (sorted), then the micro- and macro-average rows; every rate in [0, 1]."""
    per_task = {t: agreement_counts(*results[t]) for t in sorted(results)}
    rows = [_row(model, t, c) for t, c in per_task.items()]
    if not rows:
        return rows
    total = {k: sum(c[k] for c in per_task.values()) for k in next(iter(per_task.values()))}
    rows.append(_row(model, ALL_QUESTIONS, total))
    macro: dict[str, Any] = {"model": model, "target": MEAN_OVER_TASKS, "n_total": int(total["n_total"])}
    for key in COLUMNS[3:]:
        macro[key] = sum(r[key] for r in rows[:-1]) / len(per_task)
    rows.append(macro)
    return rows


def generation_records(model: str, target: str, rows: Sequence[Mapping[str, Any]], scored: Sequence[Scored],
                       generated: Sequence[Generated]) -> list[dict[str, Any]]:
    """Per question: letter prediction, generated text and every parser's reading."""
    out = []
    for row, s, g in zip(rows, scored, generated):
        out.append({"model": model, "target": target, "question_id": g.question_id, "answer": g.answer,
                    "n_options": len(row["choices"]), "letter_prediction": s.prediction, "generated": g.text,
                    "new_tokens": g.new_tokens, "truncated": not g.finished,
                    **{f"parsed_{p}": g.parsed[p] for p in EXTRACTORS}})
    return out


def render_parity_html(rows: Sequence[Mapping[str, Any]], model: str, max_new_tokens: int) -> str:
    """The table as a self-contained report page, rates as percentages."""
    from ..provenance.html_table import page, table

    def cell(key: str, value: Any) -> str:
        if key in ("model", "target", "n_total"):
            return str(value)
        return f"{value:.1f}" if key == "mean_new_tokens" else f"{100 * value:.1f}"

    keys = [k for k in COLUMNS if k != "model"]
    headers = [k if k in ("target", "n_total", "mean_new_tokens") else f"{k} %" for k in keys]
    intro = (
        f"<p>Base model <code>{html.escape(model)}</code> on every evaluation task, scored two ways on the same "
        "questions: letter scoring (the option letter with the highest next-token log-probability) and "
        "lmms-eval's BLINK protocol (its note asking for a bare letter, greedy generation up to "
        f"{max_new_tokens} new tokens), the text read by lmms-eval's parser and by BLINK's (whose LLM-judge "
        "fallback is not run: those answers are unparsed). Accuracy counts unparsed answers as wrong; "
        "agreement is the share of questions where the parsed letter equals the letter-scoring prediction; "
        "invalid is the share of parsed letters that are not among the question's options; truncated is the "
        "share of answers cut at the token cap. With <code>evaluation.scoring: generate</code> the study's "
        "evaluations read answers with <code>evaluation.parser</code>. The base accuracy is every PGF's "
        "reference: where the two scorings differ, the PGF denominators differ.</p>"
    )
    body_rows = [[cell(k, r[k]) for k in keys] for r in rows]
    return page(f"Letter scoring vs generation: {model}", intro + table(headers, body_rows))


def write_parity(rows: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]], table_out, generations_out,
                 html_out=None, *, model: str = "", max_new_tokens: int = LMMS_EVAL_MAX_NEW_TOKENS) -> None:
    """The table (CSV), the generations (Parquet) and, if asked, the report page; each atomically."""
    table = pa.Table.from_pylist([{k: r[k] for k in COLUMNS} for r in rows],
                                 schema=pa.schema([(k, pa.string() if k in ("model", "target") else
                                                    pa.int64() if k == "n_total" else pa.float64())
                                                   for k in COLUMNS]))
    with atomic_path(table_out) as tmp:
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(quoting_style="needed"))
    with atomic_path(generations_out) as tmp:
        pq.write_table(pa.Table.from_pylist(list(records), schema=GENERATIONS_SCHEMA), tmp, compression="zstd")
    if html_out is not None:
        with atomic_path(html_out) as tmp:
            Path(tmp).write_text(render_parity_html(rows, model, max_new_tokens), encoding="utf-8")


def run_parity(
    base_model: str | Path,
    eval_splits: Mapping[str, str | Path],
    model_name: str,
    table_out: str | Path,
    generations_out: str | Path,
    html_out: str | Path | None = None,
    batch_size: int = 8,
    max_new_tokens: int = LMMS_EVAL_MAX_NEW_TOKENS,
    encoded_inputs: Mapping[str, str | Path] | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Score ``base_model`` both ways on every split and write the parity outputs; returns the rows.

    Letter scoring reads ``encoded_inputs`` (the ``encode_eval`` files) when given, exactly
    as the evaluation jobs do; generation runs the processor with lmms-eval's prompt.
    """
    from ..splits import iter_split
    from .encoded import open_encoded
    from .generate import generate_rows
    from .multi import eval_placement, load_base_and_adapters
    from .scoring import score_rows

    encoded_by_target = open_encoded(encoded_inputs, eval_splits, base_model) if encoded_inputs else {}
    device, dtype = eval_placement()
    t0 = time.time()
    model, processor = load_base_and_adapters(base_model, [], device, dtype)  # as the evaluation jobs load it
    log(f"[parity] loaded {model_name} in {time.time() - t0:.1f}s; max_new_tokens {max_new_tokens}")
    results, records = {}, []
    for n, target in enumerate(sorted(eval_splits), 1):
        start = time.time()
        rows = list(iter_split(eval_splits[target]))
        encoded = encoded_by_target.get(target)
        if encoded is not None:
            encoded.check_questions([r["id"] for r in rows])
        t_letter = time.time()
        scored = score_rows(model, processor, rows, batch_size, encoded=encoded)
        t_gen = time.time()
        generated = generate_rows(model, processor, rows, batch_size, max_new_tokens)
        results[target] = (scored, generated)
        records += generation_records(model_name, target, rows, scored, generated)
        log(f"[parity] target {n}/{len(eval_splits)} {target}: {len(rows)} questions, letter "
            f"{t_gen - t_letter:.1f}s, generation {time.time() - t_gen:.1f}s (total {time.time() - start:.1f}s)")
    rows_out = parity_rows(model_name, results)
    write_parity(rows_out, records, table_out, generations_out, html_out, model=model_name,
                 max_new_tokens=max_new_tokens)
    if rows_out:
        s = rows_out[-2]
        log(f"[parity] {s['target']}: letter {s['letter_accuracy']:.3f}, "
            + ", ".join(f"{p} {s[f'{p}_accuracy']:.3f} (agreement {s[f'{p}_agreement']:.3f}, unparsed "
                        f"{s[f'{p}_unparsed']:.3f})" for p in EXTRACTORS))
    return rows_out
