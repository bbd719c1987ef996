"""Keep the frozen vision tower out of the backward pass.

LoRA trains the language model only, so nothing in the vision tower (or merger) needs a
gradient. Yet with gradient checkpointing Hugging Face's ``enable_input_require_grads``
hooks every sub-model's input embeddings, the vision patch embedding included, which
makes autograd record, recompute and backpropagate the whole vision tower: wasted compute
(for Qwen2.5-VL-3B the tower is ~0.67 B parameters run over 4x as many patches as the
image tokens it yields). :func:`detach_vision_tower` runs the tower under ``no_grad``
and removes those hooks on it; image features then enter the language model as
constants, which is exact because no trainable parameter lives before them.
"""

from __future__ import annotations

import functools

import torch


def vision_tower(model) -> torch.nn.Module:
    """The ``visual`` module of a (possibly peft-wrapped) Qwen2.5-VL model."""
    for name, module in model.named_modules():
        if name == "visual" or name.endswith(".visual"):
            return module
    raise ValueError(f"{type(model).__name__} has no `visual` sub-module (not a Qwen2.5-VL model?)")


def detach_vision_tower(model) -> torch.nn.Module:
    """Make ``visual`` run without autograd; refuse if any of its parameters is trainable.

    Idempotent; call it after ``gradient_checkpointing_enable`` / ``enable_input_require_grads`` (the
    Trainer enables checkpointing in its constructor), so their hooks are the ones removed.
    """
    visual = vision_tower(model)
    trainable = [n for n, p in visual.named_parameters() if p.requires_grad]
    if trainable:
        raise ValueError(f"vision tower has trainable parameters {trainable[:3]}; cannot detach it")
    if not getattr(visual, "_tasktransfer_detached", False):
        forward = visual.forward

        @functools.wraps(forward)
        def no_grad_forward(*args, **kwargs):
            with torch.no_grad():
                return forward(*args, **kwargs)

        visual.forward = no_grad_forward
        visual._tasktransfer_detached = True
    # checkpointing a block that runs without autograd only adds warnings
    for module in visual.modules():
        if getattr(module, "gradient_checkpointing", False):
            module.gradient_checkpointing = False
    # hooks that set requires_grad on the patch embedding's output (enable_input_require_grads)
    for module in visual.modules():
        for key, hook in list(module._forward_hooks.items()):
            if getattr(hook, "__name__", "") == "make_inputs_require_grads":
                del module._forward_hooks[key]
    return visual
