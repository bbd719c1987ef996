"""Train one LoRA adapter on one split: the (model, task, seed) unit of the study.

Hyperparameters follow the paper (weight decay 0, warmup ratio 0.03, cosine schedule)
with per-task lr, schedule and rank from config. The adapter and a metrics JSON are
written atomically; same inputs and seed give bit-identical adapter bytes on CPU.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tempfile

from ..atomic import write_json
from .lora import LoraSettings, assert_vision_frozen, peft_config


@dataclass(frozen=True)
class TrainSettings:
    lr: float
    epochs: float | None = None
    max_steps: int | None = None
    global_batch: int = 16
    per_device_batch: int = 4
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    scheduler: str = "cosine"
    max_examples: int | None = None
    lora: LoraSettings = field(default_factory=LoraSettings)
    precision: str = "auto"  # auto: bf16 on GPU, fp32 on CPU
    logging_steps: int = 10

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")
        if (self.epochs is None) == (self.max_steps is None):
            raise ValueError("give exactly one of `epochs` or `max_steps`")
        if self.global_batch % self.per_device_batch:
            raise ValueError(
                f"`global_batch` ({self.global_batch}) must be a multiple of `per_device_batch` ({self.per_device_batch})"
            )


def gradient_accumulation(settings: TrainSettings, world_size: int) -> int:
    """Accumulation steps so per-device batch x accumulation x world size == global batch."""
    per_step = settings.per_device_batch * world_size
    if settings.global_batch % per_step:
        raise ValueError(
            f"global batch {settings.global_batch} is not divisible by per-device batch "
            f"{settings.per_device_batch} x world size {world_size}"
        )
    return settings.global_batch // per_step


def train_lora(
    base_model: str | Path,
    train_split: str | Path,
    out_dir: str | Path,
    settings: TrainSettings,
    seed: int,
    extra_metrics: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fine-tune a LoRA on ``train_split``; write adapter files and metrics.json to ``out_dir``."""
    import torch
    from peft import get_peft_model
    from transformers import Trainer, TrainingArguments, set_seed

    from ..model.loading import load_model, load_processor
    from .dataset import SplitDataset, SupervisedCollator

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    on_gpu = torch.cuda.is_available()
    bf16 = settings.precision == "bf16" or (settings.precision == "auto" and on_gpu)
    set_seed(seed)
    processor = load_processor(base_model)
    model = load_model(base_model, dtype="float32")
    model = get_peft_model(model, peft_config(settings.lora))
    assert_vision_frozen(model)
    dataset = SplitDataset(train_split, limit=settings.max_examples)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        work = Path(tmp)
        args = TrainingArguments(
            output_dir=str(work / "trainer"),
            per_device_train_batch_size=settings.per_device_batch,
            gradient_accumulation_steps=gradient_accumulation(settings, world_size),
            learning_rate=settings.lr,
            weight_decay=settings.weight_decay,
            warmup_steps=settings.warmup_ratio,
            lr_scheduler_type=settings.scheduler,
            num_train_epochs=settings.epochs if settings.epochs is not None else 1.0,
            max_steps=settings.max_steps if settings.max_steps is not None else -1,
            seed=seed,
            data_seed=seed,
            bf16=bf16,
            use_cpu=not on_gpu,
            save_strategy="no",
            report_to="none",
            logging_steps=settings.logging_steps,
            disable_tqdm=True,
            remove_unused_columns=False,
            dataloader_num_workers=0,
        )
        trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=SupervisedCollator(processor))
        start = time.time()
        result = trainer.train()
        elapsed = time.time() - start
        model.save_pretrained(str(work / "adapter"))
        metrics = {
            "train_loss": result.training_loss,
            "global_steps": result.global_step,
            "examples": len(dataset),
            "seconds": round(elapsed, 3),
            "seed": seed,
            "world_size": world_size,
            "settings": _jsonable(asdict(settings)),
            "log_history": trainer.state.log_history,
            **(extra_metrics or {}),
        }
        out.mkdir(parents=True, exist_ok=True)
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            os.replace(work / "adapter" / name, out / name)
        write_json(out / "metrics.json", metrics)
    return metrics


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=list))


def settings_from_params(params: dict[str, Any]) -> TrainSettings:
    """TrainSettings from the workflow's resolved params (tasktransfer.config.resolve)."""
    lora = params.get("lora") or {}
    return TrainSettings(
        lr=float(params["lr"]),
        epochs=params.get("epochs"),
        max_steps=params.get("max_steps"),
        global_batch=int(params.get("global_batch", 16)),
        per_device_batch=int(params.get("per_device_batch", 4)),
        weight_decay=float(params.get("weight_decay", 0.0)),
        warmup_ratio=float(params.get("warmup_ratio", 0.03)),
        scheduler=params.get("scheduler", "cosine"),
        max_examples=params.get("max_examples"),
        logging_steps=int(params.get("logging_steps", 10)),
        lora=LoraSettings(
            r=int(lora.get("r", 8)),
            alpha=lora.get("alpha", 16),
            dropout=float(lora.get("dropout", 0.05)),
            target_modules=tuple(lora.get("target_modules", LoraSettings().target_modules)),
        ),
    )
