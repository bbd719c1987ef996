"""The frozen vision tower stays out of backward, with gradient checkpointing on."""

import pytest

from tasktransfer.model.loading import load_model, load_processor
from tasktransfer.train.dataset import SplitDataset, SupervisedCollator
from tasktransfer.train.lora import LoraSettings, peft_config
from tasktransfer.train.vision import detach_vision_tower, vision_tower


def _setup(tiny_model, small_splits):
    from peft import get_peft_model

    model = get_peft_model(load_model(tiny_model).train(), peft_config(LoraSettings(dropout=0.0)))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": True})
    model.enable_input_require_grads()
    data = SplitDataset(small_splits["Counting", "train"])
    batch = SupervisedCollator(load_processor(tiny_model))([data[0], data[1]])
    calls = []
    vision_tower(model).blocks[0].register_full_backward_hook(lambda *a: calls.append(1))
    return model, batch, calls


def test_vision_tower_skips_backward_but_lora_trains(tiny_model, small_splits):
    model, batch, calls = _setup(tiny_model, small_splits)
    model(**batch).loss.backward()
    assert calls, "positive control: without the fix backward reaches the vision tower"
    reference = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    model.zero_grad()
    calls.clear()
    detach_vision_tower(model)
    model(**batch).loss.backward()
    assert not calls
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    assert sum(g.abs().sum() for g in grads.values()) > 0  # lora_B gets gradients (lora_A starts at B=0)
    for name, grad in grads.items():  # same LoRA gradients: the tower contributed nothing to them
        assert (grad - reference[name]).abs().max() < 1e-6, name


def test_refuses_trainable_vision_parameters(tiny_model):
    model = load_model(tiny_model)
    next(vision_tower(model).parameters()).requires_grad_(True)
    with pytest.raises(ValueError, match="trainable parameters"):
        detach_vision_tower(model)
