"""Sequence packing: same loss and LoRA gradients as the padded batch, isolated examples, errors."""

import json

import pytest
import torch
from safetensors.torch import load_file

from tasktransfer.demo.synthetic import blink_like, generate
from tasktransfer.model.loading import load_model, load_processor
from tasktransfer.splits import write_split
from tasktransfer.train.dataset import SplitDataset, SupervisedCollator
from tasktransfer.train.lora import LoraSettings, peft_config
from tasktransfer.train.mixture import MixtureComponent
from tasktransfer.train.packing import PackingCollator, pack_batch, rope_index_of
from tasktransfer.train.trainer import TrainSettings, settings_from_params, train_lora
from tasktransfer.train.weighted_loss import tla_as_token_weights, task_token_counts, vitw_loss

torch.set_num_threads(1)

# 1, 2 and 4 images per example: different image-token counts and mRoPE layouts in one row
TASKS = ("Counting", "Functional_Correspondence", "Forensic_Detection")


@pytest.fixture(scope="module")
def items(tmp_path_factory):
    """Examples of three tasks; the second of each task gets a longer question."""
    root = tmp_path_factory.mktemp("packing")
    out = {}
    for task in TASKS:
        path = root / f"{task}.parquet"
        write_split(path, generate(blink_like(task), "train", 4, seed=3))
        ds = SplitDataset(path)
        rows = [ds[i] for i in range(len(ds))]
        rows[1] = dict(rows[1], question=rows[1]["question"] + " Look at the image closely." * 6)
        out[task] = rows
    return out


@pytest.fixture(scope="module")
def processor(tiny_model):
    return load_processor(tiny_model)


def _lora_model(tiny_model, attn="sdpa"):
    """The tiny model with LoRA (no dropout) whose B matrices are non-zero, so A gets gradients too."""
    from peft import get_peft_model

    model = load_model(tiny_model, dtype="float32")
    model.set_attn_implementation(attn)
    model = get_peft_model(model, peft_config(LoraSettings(dropout=0.0)))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.05)
    return model.train()


def _forward(model, batch):
    inputs = {k: v for k, v in batch.items() if k not in ("labels", "loss_weights", "task_ids")}
    return model(**inputs).logits


def _batch(items):
    """Four examples of different lengths with 4, 1, 2 and 1 images."""
    return [items["Forensic_Detection"][0], items["Counting"][1], items["Functional_Correspondence"][2],
            items["Counting"][3]]


def _segments(batch):
    """(start, length) of each packed example, from the text-position row."""
    text = batch["position_ids"][0, 0]
    starts = (text == 0).nonzero().view(-1).tolist()
    ends = starts[1:] + [text.numel()]
    return [(s, e - s) for s, e in zip(starts, ends)]


def test_packed_batch_has_no_padding_and_per_example_positions(tiny_model, processor, items):
    model = _lora_model(tiny_model)
    collate = SupervisedCollator(processor)
    examples = _batch(items)
    padded = collate(examples)
    packed = pack_batch(padded, rope_index_of(model))
    lengths = padded["attention_mask"].sum(dim=1)
    assert len(set(lengths.tolist())) > 1  # the padded batch really has padding
    assert packed["input_ids"].shape == (1, int(lengths.sum())) and "attention_mask" not in packed
    assert packed["use_cache"] is False
    assert [n for _, n in _segments(packed)] == lengths.tolist()
    assert torch.equal(packed["pixel_values"], padded["pixel_values"])
    # each example's mRoPE positions are the ones the model computes for it alone
    rope = rope_index_of(model)
    for ex, (start, n) in zip(examples, _segments(packed)):
        one = collate([ex])
        alone, _ = rope(one["input_ids"], mm_token_type_ids=one["mm_token_type_ids"], image_grid_thw=one["image_grid_thw"])
        assert alone.shape[-1] == n
        assert torch.equal(packed["position_ids"][1:, 0, start : start + n], alone[:, 0])
        assert torch.equal(packed["input_ids"][0, start : start + n], one["input_ids"][0])


@pytest.mark.parametrize("weights", [None, [1.0, 0.5, 2.0, 0.0]])
def test_loss_and_lora_gradients_equal_the_padded_batch(tiny_model, processor, items, weights):
    model = _lora_model(tiny_model)
    examples = _batch(items)
    if weights is not None:  # a mixture: per-example VITW weights
        examples = [dict(ex, loss_weight=w) for ex, w in zip(examples, weights)]
    padded = SupervisedCollator(processor)(examples)
    packed = pack_batch(padded, rope_index_of(model))
    results = []
    for batch in (padded, packed):
        model.zero_grad()
        w = batch.get("loss_weights", torch.ones(batch["labels"].shape[0]))
        loss = vitw_loss(_forward(model, batch), batch["labels"], w)
        loss.backward()
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
        results.append((loss.detach(), grads))
    (loss_pad, g_pad), (loss_pack, g_pack) = results
    assert abs(loss_pad.item() - loss_pack.item()) < 1e-5, (loss_pad.item(), loss_pack.item())
    assert set(g_pad) == set(g_pack) and any("lora_A" in n for n in g_pad)
    for name in g_pad:
        assert g_pad[name].abs().max() > 0, name
        torch.testing.assert_close(g_pack[name], g_pad[name], rtol=1e-4, atol=1e-6, msg=name)


def test_tla_token_counts_and_weights_equal_the_padded_batch(tiny_model, processor, items):
    model = _lora_model(tiny_model)
    examples = [dict(ex, loss_weight=1.0, task_index=k) for ex, k in zip(_batch(items), (2, 0, 1, 0))]
    padded = SupervisedCollator(processor)(examples)
    packed = pack_batch(padded, rope_index_of(model))
    assert packed["task_ids"].shape == packed["labels"].shape
    task_weights = torch.tensor([1.0, 2.0, 0.5])
    counts = task_token_counts(padded["labels"], padded["task_ids"], 3)
    assert torch.equal(task_token_counts(packed["labels"], packed["task_ids"], 3), counts)
    assert counts.tolist() == [4.0, 2.0, 2.0]  # answer letter + end of turn per example
    den_pad = tla_as_token_weights([padded], task_weights, counts)
    den_pack = tla_as_token_weights([packed], task_weights, counts)
    assert torch.equal(den_pad, den_pack)
    with torch.no_grad():
        loss_pad = vitw_loss(_forward(model, padded), padded["labels"], padded["loss_weights"], denominator=den_pad)
        loss_pack = vitw_loss(_forward(model, packed), packed["labels"], packed["loss_weights"], denominator=den_pack)
    assert abs(loss_pad.item() - loss_pack.item()) < 1e-5


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_examples_do_not_see_each_other(tiny_model, processor, items, attn):
    model = _lora_model(tiny_model, attn).eval()
    collate = PackingCollator(SupervisedCollator(processor), rope_index_of(model))
    first, last = items["Counting"][0], items["Functional_Correspondence"][0]
    rows = {
        "alone": collate([last]),
        "a": collate([first, items["Counting"][1], last]),
        # a different middle example: other length, other number of images (4 instead of 1)
        "b": collate([first, items["Forensic_Detection"][1], last]),
    }

    def answer_logits(batch, which, logits=None):
        """Logits of example ``which`` at the positions that predict its answer tokens."""
        start, n = _segments(batch)[which]
        predicts = batch["labels"][0, start : start + n].ne(-100).roll(-1)
        with torch.no_grad():
            logits = _forward(model, batch) if logits is None else logits
        return logits[0, start : start + n][predicts]

    last_a = answer_logits(rows["a"], -1)
    assert last_a.shape[0] == 2  # answer letter + end of turn
    torch.testing.assert_close(answer_logits(rows["b"], -1), last_a, rtol=0, atol=1e-5)
    torch.testing.assert_close(answer_logits(rows["alone"], -1), last_a, rtol=0, atol=1e-5)
    torch.testing.assert_close(answer_logits(rows["b"], 0), answer_logits(rows["a"], 0), rtol=0, atol=1e-5)
    # control: the same row under one plain causal mask mixes the examples, so the checks above can fail
    leaky = dict(rows["a"], attention_mask=torch.ones_like(rows["a"]["input_ids"]))
    with torch.no_grad():
        mixed = _forward(model, leaky)
    assert (answer_logits(rows["a"], -1, mixed) - last_a).abs().max() > 1e-3


def test_train_lora_with_packing_writes_an_adapter(tiny_model, small_splits, tmp_path):
    runs = {}
    for packing in (False, True):
        settings = TrainSettings(lr=1e-2, max_steps=2, global_batch=4, per_device_batch=2, logging_steps=1,
                                 lora=LoraSettings(dropout=0.0), packing=packing)
        runs[packing] = train_lora(tiny_model, small_splits["Counting", "train"], tmp_path / str(packing), settings, seed=0)
    metrics = json.loads((tmp_path / "True" / "metrics.json").read_text())
    assert metrics["settings"]["packing"] is True and metrics["global_steps"] == 2
    tensors = load_file(tmp_path / "True" / "adapter_model.safetensors")
    assert tensors and all(t.numel() and torch.isfinite(t).all() for t in tensors.values())
    # the first step's loss is computed before any update: same objective, same value
    first = [next(h["loss"] for h in runs[p]["log_history"] if "loss" in h) for p in (False, True)]
    assert abs(first[0] - first[1]) < 1e-5, first
    # throughput counts the same real tokens (packed rows have no padding, no attention mask to count it from)
    seen = [next(h["num_input_tokens_seen"] for h in reversed(runs[p]["log_history"]) if "num_input_tokens_seen" in h)
            for p in (False, True)]
    assert seen[0] == seen[1] > 0, seen


def test_train_lora_with_packing_on_a_tla_mixture(tiny_model, small_splits, tmp_path):
    comps = [MixtureComponent("Counting", small_splits["Counting", "train"], ratio=3, weight=1.0),
             MixtureComponent("Relative_Depth", small_splits["Relative_Depth", "train"], ratio=1, weight=2.0)]
    settings = settings_from_params({"lr": 1e-2, "max_steps": 2, "global_batch": 4, "per_device_batch": 4,
                                     "max_examples": 8, "loss": "tla", "packing": True, "logging_steps": 1})
    metrics = train_lora(tiny_model, comps, tmp_path / "out", settings, seed=0)
    assert metrics["settings"]["packing"] is True and metrics["settings"]["loss_aggregation"] == "task"
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


def test_bad_settings_and_inputs_are_refused(tiny_model, processor, items):
    with pytest.raises(ValueError, match="`packing` must be true or false, got 'yes'"):
        TrainSettings(lr=1e-3, max_steps=1, packing="yes")
    with pytest.raises(ValueError, match="`packing` must be true or false"):
        settings_from_params({"lr": 1e-3, "max_steps": 1, "packing": 1})
    assert settings_from_params({"lr": 1e-3, "max_steps": 1}).packing is False
    with pytest.raises(ValueError, match="Qwen2.5-VL models only"):
        rope_index_of(torch.nn.Linear(2, 2))
    model = _lora_model(tiny_model)
    rope = rope_index_of(model)
    padded = SupervisedCollator(processor)(_batch(items))
    left = dict(padded, attention_mask=padded["attention_mask"].flip(1))
    with pytest.raises(ValueError, match="right-padded"):
        pack_batch(left, rope)
    supervised_start = dict(padded, labels=padded["labels"].clone())
    supervised_start["labels"][1, 0] = 5
    with pytest.raises(ValueError, match="first token of every example unsupervised"):
        pack_batch(supervised_start, rope)
    with pytest.raises(ValueError, match="`loss_weights` has shape"):
        pack_batch(dict(padded, loss_weights=torch.ones(3)), rope)
    no_types = {k: v for k, v in padded.items() if k != "mm_token_type_ids"}
    with pytest.raises(ValueError, match="mm_token_type_ids"):
        pack_batch(no_types, rope)
    base = next(m for m in model.modules() if type(m).__name__ == "Qwen2_5_VLModel")
    base.config._attn_implementation = "paged|sdpa"
    try:
        with pytest.raises(ValueError, match="attention implementations"):
            rope_index_of(model)
    finally:
        base.config._attn_implementation = "sdpa"


def test_attention_setting_is_validated_and_flash_needs_a_gpu(tiny_model, tmp_path):
    with pytest.raises(ValueError, match="`attention` is 'flash3'"):
        TrainSettings(lr=1e-3, max_steps=1, attention="flash3")
    assert settings_from_params({"lr": 1e-3, "max_steps": 1, "attention": "eager"}).attention == "eager"
    if not torch.cuda.is_available():
        split = tmp_path / "s.parquet"
        write_split(split, generate(blink_like("Counting"), "train", 4, 0))
        with pytest.raises(RuntimeError, match="flash_attention_2` needs a CUDA GPU"):
            train_lora(tiny_model, split, tmp_path / "o",
                       TrainSettings(lr=1e-3, max_steps=1, global_batch=4, per_device_batch=4,
                                     attention="flash_attention_2"), seed=0)
