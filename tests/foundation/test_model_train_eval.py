"""The tiny model, LoRA targeting, letter scoring and training determinism."""

import hashlib

import pytest

from tasktransfer.evaluate.scoring import score_batch, score_rows
from tasktransfer.model.tiny import build_tiny_model, tree_digest
from tasktransfer.splits import iter_split
from tasktransfer.train.lora import LoraSettings, peft_config, trainable_under_visual
from tasktransfer.train.trainer import TrainSettings, train_lora


def test_tiny_model_build_is_byte_identical(tmp_path, tiny_model):
    again = build_tiny_model(tmp_path / "again", seed=0)
    assert tree_digest(again) == tree_digest(tiny_model)
    other = build_tiny_model(tmp_path / "other", seed=1)
    assert tree_digest(other) != tree_digest(tiny_model)


def test_tiny_model_is_the_real_class_with_single_token_letters(tiny_model):
    from transformers import Qwen2_5_VLForConditionalGeneration

    from tasktransfer.model.loading import is_tiny, load_model, load_processor

    assert is_tiny(tiny_model)
    model = load_model(tiny_model)
    assert type(model) is Qwen2_5_VLForConditionalGeneration
    processor = load_processor(tiny_model)
    for letter in "ABCD":
        assert len(processor.tokenizer.encode(letter, add_special_tokens=False)) == 1


def test_lora_touches_only_the_language_model(tiny_model):
    from peft import get_peft_model

    from tasktransfer.model.loading import load_model

    model = get_peft_model(load_model(tiny_model), peft_config(LoraSettings()))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("language_model" in n and "lora_" in n for n in trainable)
    assert trainable_under_visual(model) == []
    # the vision tower has q/k/v-like and MLP projections that a plain name list would hit
    assert any("visual" in n and "mlp.up_proj" in n for n, _ in model.named_parameters())


def test_lora_settings_validation():
    with pytest.raises(ValueError, match=r"`lora.target_modules` has \['qkv'\]"):
        LoraSettings(target_modules=("qkv",))
    with pytest.raises(ValueError, match="`lora.r` must be a positive integer, got 0"):
        LoraSettings(r=0)


def test_batched_scoring_equals_unbatched(tiny_model, mixed_eval_split):
    from tasktransfer.model.loading import load_model, load_processor

    model, processor = load_model(tiny_model), load_processor(tiny_model)
    rows = list(iter_split(mixed_eval_split))
    batched = score_batch(model, processor, rows)
    for row, b in zip(rows, batched):
        (single,) = score_batch(model, processor, [row])
        assert single.prediction == b.prediction
        assert max(abs(x - y) for x, y in zip(single.logprobs, b.logprobs)) < 1e-6
    assert [s.question_id for s in score_rows(model, processor, rows, batch_size=4)] == [r["id"] for r in rows]
    assert {len(b.logprobs) for b in batched} == {2, 4}


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_training_is_bit_identical_and_moves_the_prior(tmp_path, tiny_model, c_heavy_split):
    settings = TrainSettings(lr=1e-2, epochs=2, global_batch=4, per_device_batch=4,
                             lora=LoraSettings(dropout=0.0), logging_steps=2)
    m1 = train_lora(tiny_model, c_heavy_split, tmp_path / "a", settings, seed=3)
    train_lora(tiny_model, c_heavy_split, tmp_path / "b", settings, seed=3)
    train_lora(tiny_model, c_heavy_split, tmp_path / "c", settings, seed=4)
    a, b, c = (tmp_path / x / "adapter_model.safetensors" for x in "abc")
    assert _sha(a) == _sha(b)
    assert _sha(a) != _sha(c)
    assert m1["global_steps"] == 12 and m1["examples"] == 24
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "adapter_config.json", "adapter_model.safetensors", "metrics.json"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers

    from tasktransfer.evaluate.run import evaluate_checkpoint

    base = evaluate_checkpoint(tiny_model, {"C1": c_heavy_split}, tmp_path / "p0.parquet", tmp_path / "a0.csv",
                               "tiny", log=lambda *_: None)
    tuned = evaluate_checkpoint(tiny_model, {"C1": c_heavy_split}, tmp_path / "p1.parquet", tmp_path / "a1.csv",
                                "tiny", source="C1", seed="3", adapter=tmp_path / "a", log=lambda *_: None)
    assert tuned.column("n_correct")[0].as_py() > base.column("n_correct")[0].as_py()


def test_train_settings_validation():
    with pytest.raises(ValueError, match="give exactly one of `epochs` or `max_steps`"):
        TrainSettings(lr=1e-4, epochs=1, max_steps=10)
    with pytest.raises(ValueError, match=r"`lr` must be > 0, got -1"):
        TrainSettings(lr=-1, epochs=1)
