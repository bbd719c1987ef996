"""Train one LoRA adapter: the (model, task, seed) unit of the study, or a task mixture.

Hyperparameters follow the paper (global batch 16 = per-device batch x accumulation x
world size, weight decay 0, warmup ratio 0.03, cosine schedule, bf16 on GPU) with
per-task lr, schedule and rank from config. The loss is the task-weighted VITW loss
(identical to the plain loss for a single task). On GPU: gradient checkpointing with the
frozen vision tower kept out of backward, optional DeepSpeed ZeRO-2/3 (adapters saved
with gathered weights) and an optional QLoRA 4-bit base. ``packing`` trains each
per-device batch as one unpadded row (same examples, same objective; ``packing.py``).
With ``resume_root`` the run checkpoints outside its outputs and resumes after a kill
(``resume.py``). The adapter and a metrics JSON are written atomically; same inputs and
seed give bit-identical adapter bytes on CPU, interrupted or not.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..atomic import write_json
from .lora import LoraSettings, assert_vision_frozen, peft_config
from .mixture import MixtureComponent

DEEPSPEED_STAGES = ("none", "zero2", "zero3")
QUANTIZATION = ("none", "4bit")
ATTENTION = ("sdpa", "eager", "flash_attention_2")


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
    deepspeed: str = "none"  # none | zero2 | zero3 (GPU; see train/deepspeed/)
    gradient_checkpointing: str = "auto"  # auto: on for GPU, off on CPU; or "on" / "off"
    quantization: str = "none"  # none | 4bit (QLoRA; GPU with bitsandbytes only)
    checkpoint_steps: int = 0  # resumable checkpoint every N optimizer steps (0: off)
    checkpoint_minutes: float = 20.0  # ... and at least every this many minutes (0: off)
    loss_aggregation: str = "token"  # token: VITW / plain token mean; task: TLA (mixtures)
    packing: bool = False  # pack each per-device batch into one unpadded row (train/packing.py)
    attention: str = "sdpa"  # sdpa | eager | flash_attention_2 (GPU, flash-attn; varlen for packed rows)

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"`lr` must be > 0, got {self.lr}")
        if (self.epochs is None) == (self.max_steps is None):
            raise ValueError("give exactly one of `epochs` or `max_steps`")
        if self.global_batch % self.per_device_batch:
            raise ValueError(
                f"`global_batch` ({self.global_batch}) must be a multiple of `per_device_batch` ({self.per_device_batch})"
            )
        for key, value, allowed in (
            ("deepspeed", self.deepspeed, DEEPSPEED_STAGES),
            ("quantization", self.quantization, QUANTIZATION),
            ("gradient_checkpointing", self.gradient_checkpointing, ("auto", "on", "off")),
            ("precision", self.precision, ("auto", "bf16", "fp32")),
            ("loss_aggregation", self.loss_aggregation, ("token", "task")),
            ("attention", self.attention, ATTENTION),
        ):
            if value not in allowed:
                raise ValueError(f"`{key}` is {value!r}; expected one of {list(allowed)}")
        if not isinstance(self.packing, bool):
            raise ValueError(f"`packing` must be true or false, got {self.packing!r}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ValueError(f"`warmup_ratio` must be in [0, 1), got {self.warmup_ratio}")


def gradient_accumulation(settings: TrainSettings, world_size: int) -> int:
    """Accumulation steps so per-device batch x accumulation x world size == global batch."""
    per_step = settings.per_device_batch * world_size
    if settings.global_batch % per_step:
        raise ValueError(
            f"global batch {settings.global_batch} is not divisible by per-device batch "
            f"{settings.per_device_batch} x world size {world_size}"
        )
    return settings.global_batch // per_step


def deepspeed_config_path(stage: str) -> Path | None:
    """The shipped DeepSpeed JSON for ``zero2`` / ``zero3`` (``None`` for ``none``)."""
    if stage not in DEEPSPEED_STAGES:
        raise ValueError(f"unknown DeepSpeed stage {stage!r}; expected one of {list(DEEPSPEED_STAGES)}")
    return None if stage == "none" else Path(__file__).with_name("deepspeed") / f"{stage}.json"


def build_dataset(train_split: str | Path | Sequence[MixtureComponent], settings: TrainSettings, seed: int):
    """One split (optionally truncated to ``max_examples``) or a seeded mixture of splits."""
    from .dataset import SplitDataset
    from .mixture import MixtureDataset

    if isinstance(train_split, (str, os.PathLike)):
        return SplitDataset(train_split, limit=settings.max_examples)
    if settings.max_examples is None:
        raise ValueError("a mixture needs `max_examples` (the example budget shared by its tasks)")
    return MixtureDataset(list(train_split), budget=settings.max_examples, seed=seed)


def _load_base(base_model, settings: TrainSettings, on_gpu: bool, bf16: bool):
    import torch

    from ..model.loading import load_model

    if settings.attention == "flash_attention_2":
        if not on_gpu:
            raise RuntimeError("`attention: flash_attention_2` needs a CUDA GPU; use sdpa on this machine")
        import importlib.util

        if importlib.util.find_spec("flash_attn") is None:
            raise RuntimeError("`attention: flash_attention_2` needs the flash-attn package (pip install flash-attn)")
    attn = {"attn_implementation": settings.attention}
    if settings.quantization == "4bit":
        if not on_gpu:
            raise RuntimeError("QLoRA (`quantization: 4bit`) needs a CUDA GPU and bitsandbytes; this machine has no GPU")
        try:
            from transformers import BitsAndBytesConfig
            import bitsandbytes  # noqa: F401
        except ImportError as exc:
            raise RuntimeError("QLoRA needs the `bitsandbytes` package (pip install bitsandbytes)") from exc
        from peft import prepare_model_for_kbit_training

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=torch.bfloat16)
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        # quantize while loading onto this rank's GPU (moving a 4-bit model afterwards is not supported)
        model = load_model(base_model, dtype="bfloat16", device=f"cuda:{local_rank}", quantization_config=quant,
                           device_map={"": local_rank}, **attn)
        return prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    # frozen base weights in bf16 on GPU (no optimizer state for them); LoRA weights stay fp32
    return load_model(base_model, dtype="bfloat16" if bf16 else "float32", **attn)


def train_lora(
    base_model: str | Path,
    train_split: str | Path | Sequence[MixtureComponent],
    out_dir: str | Path,
    settings: TrainSettings,
    seed: int,
    extra_metrics: dict[str, Any] | None = None,
    resume_root: str | Path | None = None,
    callbacks: Sequence[Any] = (),
) -> dict[str, Any]:
    """Fine-tune a LoRA; write adapter files and metrics.json to ``out_dir`` (main process).

    ``train_split`` is a split path or a list of mixture components (per-task ratios and
    loss weights; ``settings.max_examples`` is then the example budget). With
    ``resume_root`` checkpoints go there and a rerun resumes from the newest valid one;
    on SIGTERM the run saves, stops and raises :class:`~tasktransfer.train.resume.Preempted`.
    Launch under ``torchrun`` for several GPUs (``tasktransfer.train.launch``).
    """
    import torch
    from peft import get_peft_model
    from transformers import PrinterCallback, TrainingArguments, set_seed

    from ..model.loading import load_processor
    from .dataset import SupervisedCollator
    from .packing import PackingCollator, rope_index_of
    from .progress import ProgressCallback
    from .resume import PreemptionGuard, Preempted, ResumeCallback, cleanup, select_resume_checkpoint, _barrier
    from .weighted_trainer import WeightedLossTrainer

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    on_gpu = torch.cuda.is_available()
    bf16 = settings.precision == "bf16" or (settings.precision == "auto" and on_gpu)
    checkpointing = settings.gradient_checkpointing == "on" or (settings.gradient_checkpointing == "auto" and on_gpu)
    ds_config = deepspeed_config_path(settings.deepspeed)
    if ds_config is not None and not on_gpu and os.environ.get("TASKTRANSFER_DEEPSPEED_CPU") != "1":
        raise RuntimeError(f"DeepSpeed ({settings.deepspeed}) is for GPU runs; set deepspeed: none for CPU "
                           "(TASKTRANSFER_DEEPSPEED_CPU=1 forces the CPU/gloo path used by tests)")
    set_seed(seed)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        work = Path(tmp)
        trainer_dir = Path(resume_root) if resume_root is not None else work / "trainer"
        args = TrainingArguments(
            output_dir=str(trainer_dir),
            per_device_train_batch_size=settings.per_device_batch,
            gradient_accumulation_steps=gradient_accumulation(settings, world_size),
            learning_rate=settings.lr,
            weight_decay=settings.weight_decay,
            warmup_steps=settings.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio
            lr_scheduler_type=settings.scheduler,
            num_train_epochs=settings.epochs if settings.epochs is not None else 1.0,
            max_steps=settings.max_steps if settings.max_steps is not None else -1,
            seed=seed,
            data_seed=seed,
            bf16=bf16,
            use_cpu=not on_gpu,
            activation_checkpointing=checkpointing,
            activation_checkpointing_kwargs={"use_reentrant": False} if checkpointing else None,
            deepspeed=str(ds_config) if ds_config else None,
            save_strategy="no",  # ResumeCallback decides when to checkpoint
            report_to="none",
            logging_steps=settings.logging_steps,
            disable_tqdm=True,
            remove_unused_columns=False,
            dataloader_num_workers=0,
            # packed rows have no padding (and no attention_mask to count it from)
            include_num_input_tokens_seen="all" if settings.packing else "non_padding",
        )
        if ds_config is not None:
            import deepspeed

            _ = args.device  # sets up torch.distributed
            deepspeed.init_distributed(dist_backend="nccl" if on_gpu else "gloo")  # before ZeRO-3 init of the model
        processor = load_processor(base_model)
        model = _load_base(base_model, settings, on_gpu, bf16)
        model = get_peft_model(model, peft_config(settings.lora))
        assert_vision_frozen(model)
        dataset = build_dataset(train_split, settings, seed)
        guard = PreemptionGuard()
        resume_cb = ResumeCallback(
            guard,
            every_steps=settings.checkpoint_steps if resume_root is not None else 0,
            every_minutes=settings.checkpoint_minutes if resume_root is not None else 0.0,
        )
        components = getattr(dataset, "components", None)
        collator = SupervisedCollator(processor)
        if settings.packing:
            collator = PackingCollator(collator, rope_index_of(model))
        trainer = WeightedLossTrainer(
            loss_aggregation=settings.loss_aggregation if components else "token",  # one task: TLA == token mean
            task_weights=[c.weight for c in components] if components else None,
            model=model,
            args=args,
            train_dataset=dataset,
            data_collator=collator,
            callbacks=[ProgressCallback(), resume_cb, *callbacks],
        )
        trainer.remove_callback(PrinterCallback)
        checkpoint = None
        if resume_root is not None:
            if trainer.is_world_process_zero():
                checkpoint = select_resume_checkpoint(resume_root)  # deletes invalid ones
            _barrier()
            checkpoint = select_resume_checkpoint(resume_root)
        start = time.time()
        with guard:
            result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        elapsed = time.time() - start
        if guard.signalled is not None:
            raise Preempted(f"stopped at step {trainer.state.global_step} on signal {guard.signalled}; "
                            f"checkpoint kept in {resume_root}; rerun to resume")
        # under ZeRO-3 this gathers the partitioned LoRA weights (plain save_pretrained writes empty tensors)
        trainer.save_model(str(work / "adapter"))
        metrics = {
            "train_loss": result.training_loss,
            "global_steps": result.global_step,
            "examples": len(dataset),
            "resumed_from_step": int(checkpoint.name.split("-")[-1]) if checkpoint else None,
            "seconds": round(elapsed, 3),
            "seed": seed,
            "world_size": world_size,
            "settings": _jsonable(asdict(settings)),
            "log_history": trainer.state.log_history,
            **({"mixture": dataset.describe()} if hasattr(dataset, "describe") else {}),
            **(extra_metrics or {}),
        }
        if trainer.is_world_process_zero():
            out.mkdir(parents=True, exist_ok=True)
            for name in ("adapter_config.json", "adapter_model.safetensors"):
                os.replace(work / "adapter" / name, out / name)
            write_json(out / "metrics.json", metrics)
            if resume_root is not None:
                cleanup(resume_root)
        _barrier()
    return metrics


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=list))


_LOSS_NAMES = {"token": "token", "vitw": "token", "ew": "token", "task": "task", "tla": "task"}


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
        deepspeed=params.get("deepspeed", "none") or "none",
        gradient_checkpointing=params.get("gradient_checkpointing", "auto"),
        quantization=params.get("quantization", "none") or "none",
        checkpoint_steps=int(params.get("checkpoint_steps", 0)),
        checkpoint_minutes=float(params.get("checkpoint_minutes", 20.0)),
        loss_aggregation=_LOSS_NAMES[params.get("loss", params.get("loss_aggregation", "token"))],
        packing=params.get("packing", False),  # validated (a real boolean) by TrainSettings
        attention=params.get("attention", "sdpa"),
        lora=LoraSettings(
            r=int(lora.get("r", 8)),
            alpha=lora.get("alpha", 16),
            dropout=float(lora.get("dropout", 0.05)),
            target_modules=tuple(lora.get("target_modules", LoraSettings().target_modules)),
        ),
    )
