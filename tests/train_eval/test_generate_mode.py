"""Generation-mode evaluation (evaluation.scoring: generate) and the letter-vs-generation parity table."""

import csv
import math

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from tasktransfer.evaluate.extract import EXTRACTORS
from tasktransfer.evaluate.generate import (GenerationSettings, Generated, generate_rows, generation_settings,
                                            lmms_eval_prompt)
from tasktransfer.evaluate.multi import Source, evaluate_many
from tasktransfer.evaluate.parity import ALL_QUESTIONS, COLUMNS, MEAN_OVER_TASKS, parity_rows, run_parity
from tasktransfer.evaluate.run import (ACCURACY_SCHEMA, GENERATION_ACCURACY_SCHEMA, GENERATION_PREDICTION_SCHEMA,
                                       PREDICTION_SCHEMA, evaluate_checkpoint)
from tasktransfer.evaluate.scoring import Scored
from tasktransfer.splits import iter_split

MAX_NEW = 3  # the untuned tiny model never ends its turn: every answer runs to the cap


def _quiet(*_):
    pass


def test_generation_settings_from_job_settings():
    assert generation_settings({"batch_size": 8}) is None  # letter scoring: the keys it always had
    assert generation_settings({"scoring": "letter", "parser": "blink"}) is None
    assert generation_settings({"scoring": "generate", "parser": "blink", "max_new_tokens": 5}) == \
        GenerationSettings("blink", 5)
    assert generation_settings({"scoring": "generate"}) == GenerationSettings("lmms_eval", 1024)
    with pytest.raises(ValueError, match="expected one of letter, generate"):
        generation_settings({"scoring": "judge"})
    with pytest.raises(KeyError, match="unknown answer parser 'gpt'"):
        GenerationSettings("gpt", 5)
    with pytest.raises(ValueError, match="positive"):
        GenerationSettings("blink", 0)


def test_lmms_eval_prompt_is_their_pre_prompt_then_the_row_prompt():
    # lmms_eval/tasks/blink: pre_prompt "Note: You only need to respond with {} without providing any
    # additional information.\n" formatted with ", ".join(chr(65 + i) for i in range(len(choices)))
    assert lmms_eval_prompt("Q?\n(A) x\n(B) y", 2) == (
        "Note: You only need to respond with A, B without providing any additional information.\nQ?\n(A) x\n(B) y")
    assert lmms_eval_prompt("Q?", 4).startswith("Note: You only need to respond with A, B, C, D without")


def test_generation_mode_outputs(tiny_model, small_splits, tmp_path):
    splits = {t: small_splits[t, "val"] for t in ("Counting", "Relative_Depth")}
    outs = {}
    for parser in ("lmms_eval", "blink"):
        pred, acc = tmp_path / parser / "p.parquet", tmp_path / parser / "a.csv"
        evaluate_checkpoint(tiny_model, splits, pred, acc, "tiny", batch_size=4, log=_quiet,
                            generation=GenerationSettings(parser, MAX_NEW))
        outs[parser] = pq.read_table(pred), pacsv.read_csv(acc)
    for parser, (pred, acc) in outs.items():
        assert pred.schema.names == GENERATION_PREDICTION_SCHEMA.names
        assert acc.schema.names == GENERATION_ACCURACY_SCHEMA.names
        rows = pred.to_pylist()
        for r in rows:
            n_options = 4 if r["target"] == "Counting" else 2
            assert r["prediction"] == EXTRACTORS[parser](r["generated"], n_options)  # the configured parser
            assert r["correct"] == (r["prediction"] == r["answer"])  # unparsed (null) is wrong
            assert r["new_tokens"] == MAX_NEW
        for a in acc.to_pylist():
            mine = [r for r in rows if r["target"] == a["target"]]
            assert a["n_total"] == len(mine)
            assert a["n_correct"] == sum(r["correct"] for r in mine)
            assert a["n_unparsed"] == sum(r["prediction"] is None for r in mine)
    # the same generations, read two ways
    assert outs["blink"][0].column("generated") == outs["lmms_eval"][0].column("generated")


def test_generation_shared_job_equals_one_job_per_source(tiny_model, small_splits, adapters, tmp_path):
    """Shared mode generates for each source in turn on one loaded base: same bytes as separate jobs."""
    splits = {"Relative_Depth": small_splits["Relative_Depth", "val"]}
    settings = GenerationSettings("lmms_eval", MAX_NEW)
    sources = [Source("base")] + [Source(t, "0", p) for t, p in adapters.items()]
    jobs = [(s, tmp_path / s.name / "p.parquet", tmp_path / s.name / "a.csv") for s in sources]
    evaluate_many(tiny_model, splits, jobs, "tiny", batch_size=4, log=_quiet, generation=settings)
    texts = set()
    for src, pred, acc in jobs:
        ref_pred, ref_acc = tmp_path / "ref" / f"{src.name}.parquet", tmp_path / "ref" / f"{src.name}.csv"
        evaluate_checkpoint(tiny_model, splits, ref_pred, ref_acc, "tiny", src.source, src.seed, src.adapter,
                            batch_size=4, log=_quiet, generation=settings)
        assert pred.read_bytes() == ref_pred.read_bytes()
        assert acc.read_bytes() == ref_acc.read_bytes()
        texts.add(tuple(pq.read_table(pred).column("generated").to_pylist()))
    assert len(texts) == len(sources)  # the adapters really generate differently


def test_letter_mode_keeps_its_schema(tiny_model, small_splits, tmp_path):
    evaluate_checkpoint(tiny_model, {"Counting": small_splits["Counting", "val"]}, tmp_path / "p.parquet",
                        tmp_path / "a.csv", "tiny", batch_size=4, log=_quiet)
    assert pq.read_table(tmp_path / "p.parquet").schema.names == PREDICTION_SCHEMA.names
    assert pacsv.read_csv(tmp_path / "a.csv").schema.names == ACCURACY_SCHEMA.names


def _gen(qid, answer, text, n_options=2, finished=True, tokens=2):
    return Generated(qid, answer, text, tokens, {p: f(text, n_options) for p, f in EXTRACTORS.items()}, n_options,
                     finished)


def test_parity_rows_by_hand():
    results = {
        "T2": ([Scored("a", "A", "A", []), Scored("b", "B", "A", [])],
               [_gen("a", "A", "A"), _gen("b", "A", "The answer is (A)", tokens=6, finished=False)]),
        "T4": ([Scored("c", "C", "C", []), Scored("d", "D", "B", []), Scored("e", "A", "A", []),
                Scored("f", "B", "B", [])],
               [_gen("c", "C", "(C)", 4), _gen("d", "B", "hmm", 4), _gen("e", "A", "(E)", 4),
                _gen("f", "B", "**B**", 4)]),
    }
    rows = parity_rows("m", results)
    assert [r["target"] for r in rows] == ["T2", "T4", ALL_QUESTIONS, MEAN_OVER_TASKS]
    assert all(list(r) == COLUMNS for r in rows)
    t2, t4, micro, macro = rows
    assert t2["letter_accuracy"] == 0.5 and t4["letter_accuracy"] == 0.75
    # lmms_eval reads A, T | C, H, E, None; blink reads A, A | C, None, E, None
    assert t2["lmms_eval_accuracy"] == 0.5 and t2["blink_accuracy"] == 1.0
    assert t2["lmms_eval_agreement"] == 0.5 and t2["blink_agreement"] == 0.5
    assert t2["lmms_eval_invalid"] == 0.5 and t2["blink_invalid"] == 0.0  # "T" is no option
    assert t4["lmms_eval_unparsed"] == 0.25 and t4["blink_unparsed"] == 0.5
    assert t4["lmms_eval_invalid"] == 0.5  # "H", and "E" (exact match beyond four options)
    assert t4["blink_invalid"] == 0.25  # "E" via BLINK's exact-match branch
    assert t2["truncated"] == 0.5 and t2["mean_new_tokens"] == 4.0
    assert micro["n_total"] == 6 and micro["letter_accuracy"] == pytest.approx(4 / 6)
    assert micro["blink_accuracy"] == pytest.approx(3 / 6)
    assert macro["letter_accuracy"] == pytest.approx((0.5 + 0.75) / 2)
    with pytest.raises(ValueError, match="same questions"):
        parity_rows("m", {"T": ([Scored("a", "A", "A", [])], [_gen("b", "A", "A")])})


def test_run_parity_on_the_tiny_model(tiny_model, small_splits, tmp_path):
    from tasktransfer.evaluate.encoded import write_encoded

    splits = {t: small_splits[t, "val"] for t in ("Counting", "Relative_Depth")}
    encoded = {}
    for task, split in splits.items():
        encoded[task] = tmp_path / f"{task}.safetensors"
        write_encoded(encoded[task], split, tiny_model, log=_quiet)
    out = tmp_path / "parity"
    rows = run_parity(tiny_model, splits, "tiny", out / "parity.csv", out / "generations.parquet", out / "p.html",
                      batch_size=4, max_new_tokens=MAX_NEW, encoded_inputs=encoded, log=_quiet)
    with open(out / "parity.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["target"] for r in table] == ["Counting", "Relative_Depth", ALL_QUESTIONS, MEAN_OVER_TASKS]
    assert list(table[0]) == COLUMNS and len(rows) == 4
    for r in table:
        for key in COLUMNS[3:]:
            value = float(r[key])
            assert math.isfinite(value) and (key == "mean_new_tokens" or 0 <= value <= 1), (key, value)
    assert float(table[2]["truncated"]) == 1.0 and float(table[2]["mean_new_tokens"]) == MAX_NEW
    gens = pq.read_table(out / "generations.parquet").to_pylist()
    n = sum(1 for t in splits.values() for _ in iter_split(t))
    assert len(gens) == n == int(table[2]["n_total"])
    # the same letters and generations as the evaluation jobs give
    letter, generated = tmp_path / "letter", tmp_path / "generated"
    evaluate_checkpoint(tiny_model, splits, letter / "p.parquet", letter / "a.csv", "tiny", batch_size=4,
                        log=_quiet, encoded_inputs=encoded)
    evaluate_checkpoint(tiny_model, splits, generated / "p.parquet", generated / "a.csv", "tiny", batch_size=4,
                        log=_quiet, generation=GenerationSettings("blink", MAX_NEW))
    by_id = {r["question_id"]: r for r in gens}
    for r in pq.read_table(letter / "p.parquet").to_pylist():
        assert by_id[r["question_id"]]["letter_prediction"] == r["prediction"]
    for r in pq.read_table(generated / "p.parquet").to_pylist():
        assert by_id[r["question_id"]]["generated"] == r["generated"]
        assert by_id[r["question_id"]]["parsed_blink"] == r["prediction"]
    page = (out / "p.html").read_text()
    assert "<table>" in page and "lmms_eval_accuracy %" in page and "Relative_Depth" in page


def test_generate_rows_is_order_and_batch_independent(tiny_model, small_splits):
    from tasktransfer.model.loading import load_model, load_processor

    model, processor = load_model(tiny_model), load_processor(tiny_model)
    rows = list(iter_split(small_splits["Relative_Depth", "val"]))[:6]
    one = generate_rows(model, processor, rows, batch_size=1, max_new_tokens=MAX_NEW)
    many = generate_rows(model, processor, rows, batch_size=6, max_new_tokens=MAX_NEW, prefetch=True)
    assert [g.question_id for g in one] == [r["id"] for r in rows]
    assert [g.text for g in one] == [g.text for g in many]
    assert all(not g.finished and g.n_options == 2 for g in one)


def _write_eval(tmp_path, name, source, generation):
    import pyarrow as pa

    from tasktransfer.evaluate.run import write_tables

    pred_schema = GENERATION_PREDICTION_SCHEMA if generation else PREDICTION_SCHEMA
    acc_schema = GENERATION_ACCURACY_SCHEMA if generation else ACCURACY_SCHEMA
    pred = {"model": "m", "source": source, "seed": "0" if source != "base" else "", "target": "Counting",
            "question_id": "q1", "prediction": None if generation else "A", "answer": "A", "correct": not generation}
    acc = {k: pred[k] for k in ("model", "source", "seed", "target")} | {"n_correct": int(not generation),
                                                                         "n_total": 1}
    if generation:
        pred |= {"generated": "**A**", "new_tokens": 3}
        acc |= {"n_unparsed": 1}
    paths = tmp_path / f"{name}.parquet", tmp_path / f"{name}.csv"
    write_tables(pa.Table.from_pylist([pred], schema=pred_schema), pa.Table.from_pylist([acc], schema=acc_schema),
                 *paths)
    return paths


def test_collect_keeps_generation_columns_and_letter_tables_unchanged(tmp_path):
    from tasktransfer.analysis.io import read_accuracies, read_predictions
    from tasktransfer.evaluate.collect import collect

    letter = [_write_eval(tmp_path, n, s, False) for n, s in (("l0", "base"), ("l1", "Counting"))]
    gen = [_write_eval(tmp_path, n, s, True) for n, s in (("g0", "base"), ("g1", "Counting"))]

    def run(files, name):
        out = tmp_path / name / "acc.csv", tmp_path / name / "pred.parquet"
        collect([f[1] for f in files], [f[0] for f in files], str(out[0]), str(out[1]))
        return pacsv.read_csv(out[0]), pq.read_table(out[1]), out

    acc, pred, _ = run(letter, "letter")
    assert acc.schema.names == ACCURACY_SCHEMA.names and pred.schema.names == PREDICTION_SCHEMA.names
    acc, pred, out = run(gen, "generate")
    assert acc.column("n_unparsed").to_pylist() == [1, 1]
    assert pred.column("generated").to_pylist() == ["**A**", "**A**"]
    assert pred.column("prediction").to_pylist() == [None, None]
    # the analysis reads the long tables with their extra columns
    tasks = ["Counting"]
    assert read_accuracies(out[0], tasks)["n_correct"].to_list() == [0, 0]
    assert read_predictions(out[1], tasks)["correct"].to_list() == [False, False]
    acc, pred, _ = run([letter[0], gen[1]], "mixed")
    assert acc.column("n_unparsed").to_pylist() == [None, 1]
    assert pred.column("generated").to_pylist() == [None, "**A**"]
