"""LoRA on the language model only, never on the vision tower or merger.

A plain module-name list (q_proj ... down_proj) would also match the vision tower's MLPs,
and peft's "all-linear" hits the vision tower and merger, so targets are a regex anchored
on ``language_model``. Keeping `visual` frozen is also what lets evaluation reuse vision
features across adapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP = ("gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LoraSettings:
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = field(default=ATTENTION + MLP)

    def __post_init__(self) -> None:
        if self.r <= 0:
            raise ValueError(f"`lora.r` must be a positive integer, got {self.r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`lora.dropout` must be in [0, 1), got {self.dropout}")
        unknown = sorted(set(self.target_modules) - set(ATTENTION + MLP))
        if unknown or not self.target_modules:
            raise ValueError(
                f"`lora.target_modules` has {unknown or 'nothing'}; expected a non-empty subset of {list(ATTENTION + MLP)}"
            )


def target_regex(modules: tuple[str, ...]) -> str:
    return r".*language_model.*\.(" + "|".join(re.escape(m) for m in modules) + r")"


def peft_config(settings: LoraSettings):
    from peft import LoraConfig

    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=target_regex(settings.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def trainable_under_visual(model) -> list[str]:
    """Names of trainable parameters inside the vision tower (must be empty)."""
    return [n for n, p in model.named_parameters() if p.requires_grad and ".visual." in f".{n}"]


def assert_vision_frozen(model) -> None:
    bad = trainable_under_visual(model)
    if bad:
        raise AssertionError(f"LoRA must not touch the vision tower; trainable: {bad[:5]}")
