"""The fast letter-scoring path gives the same answers as the plain computation it replaces.

Letter scoring skips what a forward pass does not need (full-sequence logits, the KV cache,
autograd, a tokenizer call per question) and can encode the next batch in a worker thread.
None of that may change a prediction or a log-probability.
"""

import pytest
import torch

from tasktransfer.evaluate.multi import Source, load_base_and_adapters, score_sources
from tasktransfer.evaluate.scoring import (encode_batch, encoded_batches, length_order, letters_from_logits,
                                           next_token_logits, option_letter_ids, score_rows)
from tasktransfer.prompting import letter_token_ids
from tasktransfer.splits import iter_split
from tasktransfer.tasks import LETTERS


@pytest.fixture(scope="module")
def model_and_processor(tiny_model):
    from tasktransfer.model.loading import load_model, load_processor

    return load_model(tiny_model), load_processor(tiny_model)


@pytest.fixture(scope="module")
def mixed_rows(small_splits):
    """2- and 4-option questions together (Relative_Depth and Counting), 11 rows: batches do not divide it."""
    return list(iter_split(small_splits["Relative_Depth", "val"]))[:5] + list(iter_split(small_splits["Counting", "val"]))[:6]


def _plain_scores(model, processor, rows):
    """The reference: full-sequence logits with the default cache, letter ids looked up per question."""
    out = []
    for row in rows:
        enc = encode_batch(processor, [row])
        with torch.no_grad():
            logits = model(**enc).logits[:, -1, :]
        logp = torch.log_softmax(logits.float(), dim=-1)[0]
        letters = LETTERS[: len(row["choices"])]
        out.append([logp[i].item() for i in letter_token_ids(processor.tokenizer, letters)])
    return out


def test_fast_scoring_matches_plain_forward(model_and_processor, mixed_rows):
    model, processor = model_and_processor
    reference = _plain_scores(model, processor, mixed_rows)
    for batch_size in (1, 4, 11):
        scored = score_rows(model, processor, mixed_rows, batch_size=batch_size)
        assert [s.question_id for s in scored] == [r["id"] for r in mixed_rows]
        for s, ref in zip(scored, reference):
            assert len(s.logprobs) == len(ref)
            assert max(abs(a - b) for a, b in zip(s.logprobs, ref)) < 1e-6
            best = max(range(len(ref)), key=lambda i: (ref[i], -i))
            assert s.prediction == LETTERS[best]


def test_prefetch_changes_nothing(model_and_processor, mixed_rows):
    model, processor = model_and_processor
    for batch_size in (2, 3, 8):
        plain = score_rows(model, processor, mixed_rows, batch_size=batch_size, prefetch=False)
        ahead = score_rows(model, processor, mixed_rows, batch_size=batch_size, prefetch=True)
        assert [(s.question_id, s.prediction, s.logprobs) for s in plain] == \
               [(s.question_id, s.prediction, s.logprobs) for s in ahead]


def test_prefetch_changes_nothing_for_many_sources(tiny_model, adapters, mixed_rows):
    sources = [Source("base")] + [Source(t, "0", p) for t, p in adapters.items()]
    model, processor = load_base_and_adapters(tiny_model, sources, "cpu", "float32")
    plain = score_sources(model, processor, mixed_rows, sources, batch_size=4, prefetch=False)
    ahead = score_sources(model, processor, mixed_rows, sources, batch_size=4, prefetch=True)
    for name in plain:
        assert [s.logprobs for s in plain[name]] == [s.logprobs for s in ahead[name]]


def test_encoded_batches_follow_length_order_with_and_without_prefetch(model_and_processor, mixed_rows):
    _, processor = model_and_processor
    order = length_order(mixed_rows)
    for prefetch in (False, True):
        got = list(encoded_batches(processor, mixed_rows, 4, prefetch=prefetch))
        assert [i for idx, _, _ in got for i in idx] == order
        assert [len(idx) for idx, _, _ in got] == [4, 4, 3]
        for idx, batch, enc in got:
            assert [r["id"] for r in batch] == [mixed_rows[i]["id"] for i in idx]
            assert torch.equal(enc["input_ids"], encode_batch(processor, batch)["input_ids"])


def test_bad_image_and_bad_batch_size_are_reported(model_and_processor, mixed_rows):
    _, processor = model_and_processor
    rows = [dict(r) for r in mixed_rows]
    rows[7]["images"] = [b"not an image"]
    bad_id = rows[7]["id"]
    for prefetch in (False, True):
        with pytest.raises(ValueError, match=f"question {bad_id}: image 0 cannot be decoded"):
            list(encoded_batches(processor, rows, 2, prefetch=prefetch))
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        list(encoded_batches(processor, mixed_rows, 0))


def test_letters_from_logits_by_hand(model_and_processor):
    _, processor = model_and_processor
    rows = [{"id": "q2", "choices": ["x", "y"], "answer": "B"},
            {"id": "q4", "choices": ["w", "x", "y", "z"], "answer": "C"}]
    ids = option_letter_ids(processor, rows)
    assert ids == letter_token_ids(processor.tokenizer, LETTERS[:4])
    logits = torch.full((2, len(processor.tokenizer)), -5.0)
    logits[0, ids[1]] = 3.0   # row 1: B
    logits[0, ids[3]] = 9.0   # D is not an option of a 2-choice question
    logits[1, ids[2]] = 2.0   # row 2: C
    logits[1, ids[3]] = 2.0   # tie with D: the earlier letter wins
    for letter_ids in (ids, None):
        a, b = letters_from_logits(logits, processor, rows, letter_ids)
        assert (a.prediction, b.prediction) == ("B", "C") and a.correct and b.correct
        assert len(a.logprobs) == 2 and len(b.logprobs) == 4
        expected = torch.log_softmax(logits[0], dim=-1)[ids[1]].item()
        assert a.logprobs[1] == expected
    with pytest.raises(ValueError, match="question q4: 4 options but letter ids for 2 only"):
        letters_from_logits(logits, processor, rows, ids[:2])


def test_next_token_logits_builds_no_cache_and_tracks_no_grad(model_and_processor, mixed_rows):
    model, processor = model_and_processor
    enc = encode_batch(processor, mixed_rows[:3])
    logits = next_token_logits(model, enc)
    assert logits.shape == (3, model.config.text_config.vocab_size)
    assert not logits.requires_grad and logits.is_inference()
    seen = []
    handle = model.model.language_model.register_forward_hook(
        lambda m, a, k, out: seen.append(out.past_key_values), with_kwargs=True)
    try:
        next_token_logits(model, enc)
    finally:
        handle.remove()
    assert seen == [None]

