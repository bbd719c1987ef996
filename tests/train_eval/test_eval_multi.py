"""One-process evaluation of base + adapters with shared vision features; generation mode."""

import pytest

from tasktransfer.evaluate.extract import EXTRACTORS
from tasktransfer.evaluate.generate import Generated, agreement, generate_rows, lmms_eval_prompt
from tasktransfer.evaluate.multi import Source, evaluate_many, load_base_and_adapters, score_sources
from tasktransfer.evaluate.run import evaluate_checkpoint
from tasktransfer.evaluate.scoring import Scored, score_rows
from tasktransfer.splits import iter_split


def _sources(adapters):
    return [Source("base")] + [Source(t, "0", p) for t, p in adapters.items()]


def test_shared_base_and_features_match_separate_runs(tiny_model, small_splits, adapters, tmp_path):
    splits = {t: small_splits[t, "val"] for t in ("Counting", "Relative_Depth")}
    sources = _sources(adapters)
    jobs = [(s, tmp_path / s.name / "p.parquet", tmp_path / s.name / "a.csv") for s in sources]
    evaluate_many(tiny_model, splits, jobs, "tiny", batch_size=5)
    predictions = set()
    for src, pred, acc in jobs:
        ref_pred, ref_acc = tmp_path / "ref" / f"{src.name}.parquet", tmp_path / "ref" / f"{src.name}.csv"
        evaluate_checkpoint(tiny_model, splits, ref_pred, ref_acc, "tiny", src.source, src.seed, src.adapter,
                            batch_size=3, log=lambda *_: None)
        assert pred.read_bytes() == ref_pred.read_bytes()
        assert acc.read_bytes() == ref_acc.read_bytes()
        predictions.add(pred.read_bytes())
    assert len(predictions) == len(sources)  # the adapters really differ from the base and each other


def test_logprobs_identical_with_and_without_feature_sharing(tiny_model, small_splits, adapters):
    sources = _sources(adapters)
    model, processor = load_base_and_adapters(tiny_model, sources, "cpu", "float32")
    rows = list(iter_split(small_splits["Counting", "val"]))[:9]
    shared = score_sources(model, processor, rows, sources, batch_size=4, share_vision=True)
    plain = score_sources(model, processor, rows, sources, batch_size=4, share_vision=False)
    for name in shared:
        assert [s.logprobs for s in shared[name]] == [s.logprobs for s in plain[name]]


def test_adapter_with_visual_lora_is_refused(tiny_model, tmp_path):
    from peft import LoraConfig, get_peft_model

    from tasktransfer.model.loading import load_model

    bad = get_peft_model(load_model(tiny_model), LoraConfig(r=2, target_modules=r".*visual.*\.qkv"))
    bad.save_pretrained(tmp_path / "bad")
    with pytest.raises(AssertionError, match="vision tower"):
        load_base_and_adapters(tiny_model, [Source("base"), Source("X", "0", tmp_path / "bad")], "cpu", "float32")


def test_generation_first_token_agrees_with_letter_scoring(tiny_model, small_splits):
    from tasktransfer.model.loading import load_model, load_processor

    model, processor = load_model(tiny_model), load_processor(tiny_model)
    rows = list(iter_split(small_splits["Relative_Depth", "val"]))[:6]
    scored = score_rows(model, processor, rows, batch_size=3)
    generated = generate_rows(model, processor, rows, batch_size=3, max_new_tokens=1, prompt_style="plain")
    assert all(g.new_tokens == 1 for g in generated)
    for s, g in zip(scored, generated):  # greedy over the whole vocabulary hit a valid letter: same letter
        if g.text in ("A", "B"):
            assert g.text == s.prediction
    report = agreement(scored, generated)
    assert report["questions"] == 6 and set(report["parsers"]) == set(EXTRACTORS)


def test_agreement_report_by_hand():
    scored = [Scored("q1", "A", "A", []), Scored("q2", "B", "A", []), Scored("q3", "A", "B", [])]
    generated = [
        Generated("q1", "A", "A", 2, {"blink": "A", "lmms_eval": "A"}),
        Generated("q2", "A", "The answer is (B)", 8, {"blink": "B", "lmms_eval": "T"}),
        Generated("q3", "B", "hmm", 3, {"blink": None, "lmms_eval": "H"}),
    ]
    r = agreement(scored, generated)
    assert r["parsers"]["blink"] == {"agree": 2 / 3, "unparsed": 1 / 3, "accuracy": 1 / 3}
    assert r["parsers"]["lmms_eval"]["agree"] == 1 / 3 and r["mean_new_tokens"] == 13 / 3
    with pytest.raises(ValueError, match="same questions"):
        agreement(scored[:2], generated[1:])


def test_lmms_eval_prompt():
    assert lmms_eval_prompt("Q?", 3).startswith("Note: You only need to respond with A, B, C without")
    assert lmms_eval_prompt("Q?", 2).endswith("information.\nQ?")


def test_cached_group_reevaluates_only_the_changed_adapter(tiny_model, small_splits, adapters, tmp_path):
    import shutil

    from tasktransfer.evaluate.multi import evaluate_many_cached

    splits = {"Counting": small_splits["Counting", "val"]}
    adapter_copy = tmp_path / "a2"
    shutil.copytree(adapters["Relative_Depth"], adapter_copy)
    sources = [Source("base"), Source("Counting", "0", adapters["Counting"]), Source("Relative_Depth", "0", adapter_copy)]
    jobs = [(s, tmp_path / "out" / s.name / "p.parquet", tmp_path / "out" / s.name / "a.csv") for s in sources]
    run = lambda: evaluate_many_cached(tiny_model, splits, jobs, "tiny", tmp_path / ".evalcache",  # noqa: E731
                                       {"batch_size": 4}, batch_size=4, log=lambda *_: None)
    assert run() == ["base", "Counting_seed0", "Relative_Depth_seed0"]
    first = {s.name: (tmp_path / "out" / s.name / "p.parquet").read_bytes() for s in sources}
    shutil.rmtree(tmp_path / "out")  # what Snakemake does to declared outputs before a rerun
    assert run() == []
    assert first == {s.name: (tmp_path / "out" / s.name / "p.parquet").read_bytes() for s in sources}
    shutil.copy(adapters["Counting"] / "adapter_model.safetensors", adapter_copy)  # retrained checkpoint
    assert run() == ["Relative_Depth_seed0"]
