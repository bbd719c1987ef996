"""LoRA training throughput and MFU for the Qwen2.5-VL-3B architecture (GPU only).

Builds Qwen2.5-VL-3B from its public configuration values with random bf16 weights (no
download), puts the trainer's LoRA (language model only, r=8) on it, and trains on
synthetic multimodal batches of realistic size through the project's own training path
(WeightedLossTrainer: VITW loss, vision tower without autograd) with DeepSpeed ZeRO-2.
Prints tokens/s and MFU against the GPU's dense bf16 peak (H100 SXM: 989 TFLOP/s).

    python benchmarks/gpu_train_throughput.py                      # 1 GPU
    torchrun --standalone --nproc_per_node 8 benchmarks/gpu_train_throughput.py

Model FLOPs per trained token follow the usual 6N-style accounting adapted to LoRA on a
frozen base: forward 2N plus backward 2N for input gradients only (no weight gradients
for frozen weights; LoRA's are negligible), plus attention 12 L d T (forward + backward)
and the vision tower's forward only (its backward is skipped on purpose). Recomputation
under activation checkpointing is not counted (that is MFU, not hardware utilisation).
The "6N" line counts 6N as if every weight were trained, for comparison with figures
quoted that way. On a machine without CUDA the script prints a message and exits 0.

``--smoke`` runs the same path end to end on a 2-layer model of the same family (CPU
without CUDA, fp32; DeepSpeed on CPU only with TASKTRANSFER_DEEPSPEED_CPU=1, as for the
trainer), so a test keeps the script working where no GPU is: its figures mean nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

# Public config values of Qwen/Qwen2.5-VL-3B-Instruct (config.json on the hub).
QWEN25_VL_3B = {
    "text_config": {
        "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 11008, "num_hidden_layers": 36,
        "num_attention_heads": 16, "num_key_value_heads": 2, "hidden_act": "silu", "rms_norm_eps": 1e-6,
        "max_position_embeddings": 128000, "tie_word_embeddings": True,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [16, 24, 24]},
        "bos_token_id": 151643, "eos_token_id": 151645,
    },
    "vision_config": {
        "depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "in_chans": 3,
        "out_hidden_size": 2048, "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2,
        "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "tokens_per_second": 2, "hidden_act": "silu",
    },
    "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652,
    "vision_end_token_id": 151653, "tie_word_embeddings": True,
}

PEAK_BF16_TFLOPS = [  # dense bf16 tensor-core peaks, matched on the device name
    ("H200", 989.0), ("H100 SXM", 989.0), ("H100 80GB HBM3", 989.0), ("H100 NVL", 835.0), ("H100 PCIe", 756.0),
    ("H100", 989.0), ("GH200", 989.0), ("B200", 2250.0), ("A100", 312.0), ("L40S", 362.0), ("A6000", 155.0),
]


def peak_tflops(name: str, override: float | None) -> float:
    if override:
        return override
    for key, value in PEAK_BF16_TFLOPS:
        if key in name:
            return value
    sys.exit(f"unknown GPU {name!r}: pass --peak-tflops (its dense bf16 peak)")


def smoke_config() -> dict:
    """A 2-layer member of the same architecture (same token ids, patch and merge sizes)."""
    text = {**QWEN25_VL_3B["text_config"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3]}}
    vision = {**QWEN25_VL_3B["vision_config"], "depth": 2, "hidden_size": 64, "intermediate_size": 128,
              "num_heads": 4, "out_hidden_size": 64, "fullatt_block_indexes": [1]}
    return {**QWEN25_VL_3B, "text_config": text, "vision_config": vision}


def build_model(values: dict, attn: str, device: str, dtype):
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    config = Qwen2_5_VLConfig(**values)
    config._attn_implementation = attn
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(config, dtype=dtype)
    return model


class SyntheticBatches:
    """Fixed-shape samples: <|im_start|>... vision_start, image_pad x tokens, vision_end, text, answer."""

    def __init__(self, n: int, images: int, side: int, text_tokens: int, seed: int = 0) -> None:
        import torch

        c = QWEN25_VL_3B
        grid = side // 14
        self.patches = grid * grid  # per image, before the 2x2 merge
        self.image_tokens = self.patches // 4
        g = torch.Generator().manual_seed(seed)
        self.items = []
        for _ in range(n):
            ids, types = [], []
            for _ in range(images):
                ids += [c["vision_start_token_id"]] + [c["image_token_id"]] * self.image_tokens + [c["vision_end_token_id"]]
                types += [0] + [1] * self.image_tokens + [0]
            text = torch.randint(0, 150000, (text_tokens,), generator=g).tolist()
            ids += text + [32, 151645]  # answer letter + <|im_end|>
            types += [0] * (text_tokens + 2)
            labels = [-100] * (len(ids) - 2) + ids[-2:]
            self.items.append({
                "input_ids": torch.tensor(ids), "mm_token_type_ids": torch.tensor(types), "labels": torch.tensor(labels),
                "pixel_values": torch.randn(images * self.patches, 3 * 2 * 14 * 14, generator=g),
                "image_grid_thw": torch.tensor([[1, grid, grid]] * images),
            })
        self.seq_len = len(self.items[0]["input_ids"])

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int):
        return self.items[i]


def collate(batch, dtype):
    import torch

    out = {k: torch.stack([b[k] for b in batch]) for k in ("input_ids", "mm_token_type_ids", "labels")}
    out["attention_mask"] = torch.ones_like(out["input_ids"])
    out["pixel_values"] = torch.cat([b["pixel_values"] for b in batch]).to(dtype)
    out["image_grid_thw"] = torch.cat([b["image_grid_thw"] for b in batch])
    return out


def flops_per_sample(model, data: SyntheticBatches, images: int, values: dict = QWEN25_VL_3B) -> tuple[float, float]:
    """(LoRA model FLOPs, 6N-convention FLOPs) for one training sample."""
    lm = model.model.language_model
    n_lm = sum(p.numel() for n, p in lm.named_parameters() if "embed_tokens" not in n and "lora_" not in n)
    n_head = model.lm_head.weight.numel()
    n_vis = sum(p.numel() for n, p in model.model.visual.named_parameters())
    t = data.seq_len
    cfg = values["text_config"]
    attn = 12 * cfg["num_hidden_layers"] * cfg["hidden_size"] * t * t  # fwd + bwd, all positions
    vcfg = values["vision_config"]
    p = data.patches
    window = (vcfg["window_size"] // 14) ** 2
    n_full = len(vcfg["fullatt_block_indexes"])
    vis_attn = 4 * vcfg["hidden_size"] * p * (n_full * p + (vcfg["depth"] - n_full) * window)
    vision = images * (2 * n_vis * p + vis_attn)  # forward only
    lora = 4 * (n_lm + n_head) * t + attn + vision
    six_n = 6 * (n_lm + n_head) * t + attn + 3 * vision
    return float(lora), float(six_n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=1, help="images per sample (BLINK: 1-4)")
    ap.add_argument("--image-size", type=int, default=812, help="square side in pixels, multiple of 28 (812: 841 tokens)")
    ap.add_argument("--text-tokens", type=int, default=160, help="prompt text tokens per sample")
    ap.add_argument("--per-device-batch", type=int, default=4)
    ap.add_argument("--global-batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=30, help="optimizer steps measured (after --warmup)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--deepspeed", default="zero2", choices=["zero2", "zero3", "none"])
    ap.add_argument("--checkpointing", default="on", choices=["on", "off"], help="activation checkpointing")
    ap.add_argument("--attn", default="sdpa", help="attention implementation (sdpa, flash_attention_2)")
    ap.add_argument("--peak-tflops", type=float, help="override the GPU's dense bf16 peak")
    ap.add_argument("--smoke", action="store_true",
                    help="a 2-layer model of the same family, small samples, 2 steps (CPU without CUDA): "
                         "checks the script runs, measures nothing")
    args = ap.parse_args()

    import functools

    import torch

    cuda = torch.cuda.is_available()
    if args.smoke:
        args.image_size, args.text_tokens, args.per_device_batch, args.global_batch = 56, 16, 2, 4
        args.steps, args.warmup = 2, 1
        if not cuda and not os.environ.get("TASKTRANSFER_DEEPSPEED_CPU"):
            args.deepspeed = "none"  # DeepSpeed on CPU ranks (gloo) only when asked, as in the trainer
    elif not cuda:
        print("gpu_train_throughput: no CUDA GPU on this machine; nothing measured. Run it on a GPU node "
              "(see docs/training.md).")
        return
    if args.image_size % 28:
        sys.exit("--image-size must be a multiple of 28 (patch 14, 2x2 merge)")
    os.environ.setdefault("RANK", "0"), os.environ.setdefault("WORLD_SIZE", "1"), os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1"), os.environ.setdefault("MASTER_PORT", "29511")
    world = int(os.environ["WORLD_SIZE"])
    values = smoke_config() if args.smoke else QWEN25_VL_3B
    device = f"cuda:{int(os.environ['LOCAL_RANK'])}" if cuda else "cpu"
    dtype = torch.bfloat16 if cuda else torch.float32
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    from peft import get_peft_model
    from transformers import TrainerCallback, TrainingArguments

    from tasktransfer.train.lora import LoraSettings, assert_vision_frozen, peft_config
    from tasktransfer.train.trainer import deepspeed_config_path
    from tasktransfer.train.weighted_trainer import WeightedLossTrainer

    accumulation = args.global_batch // (args.per_device_batch * world)
    if accumulation < 1 or args.global_batch % (args.per_device_batch * world):
        sys.exit(f"global batch {args.global_batch} is not a multiple of {args.per_device_batch} x {world} GPUs")
    ds = deepspeed_config_path(args.deepspeed)
    targs = TrainingArguments(
        output_dir="/tmp/gpu_train_throughput", per_device_train_batch_size=args.per_device_batch,
        gradient_accumulation_steps=accumulation, learning_rate=1e-4, weight_decay=0.0, warmup_steps=0.03,
        lr_scheduler_type="cosine", max_steps=args.warmup + args.steps, bf16=cuda, use_cpu=not cuda,
        save_strategy="no",
        report_to="none", logging_steps=10, disable_tqdm=True, remove_unused_columns=False,
        activation_checkpointing=args.checkpointing == "on",
        activation_checkpointing_kwargs={"use_reentrant": False} if args.checkpointing == "on" else None,
        deepspeed=str(ds) if ds else None, dataloader_num_workers=2 if cuda else 0,
    )
    if ds is not None:
        import deepspeed

        _ = targs.device
        deepspeed.init_distributed(dist_backend="nccl" if cuda else "gloo")
    model = build_model(values, args.attn, device, dtype)
    model = get_peft_model(model, peft_config(LoraSettings()))
    assert_vision_frozen(model)
    n_samples = args.global_batch * (args.warmup + args.steps)
    data = SyntheticBatches(n_samples // world + args.per_device_batch, args.images, args.image_size, args.text_tokens)
    lora_flops, six_n_flops = flops_per_sample(model.get_base_model(), data, args.images, values)

    class Timer(TrainerCallback):
        def __init__(self):
            self.t0 = None

        def on_step_end(self, a, state, control, **kw):
            if state.global_step == args.warmup:
                sync()
                self.t0 = time.perf_counter()

    timer = Timer()
    trainer = WeightedLossTrainer(model=model, args=targs, train_dataset=data,
                                  data_collator=functools.partial(collate, dtype=dtype), callbacks=[timer])
    trainer.train()
    sync()
    elapsed = time.perf_counter() - timer.t0
    if int(os.environ["RANK"]) != 0:
        return
    samples = args.steps * args.global_batch
    tokens = samples * data.seq_len
    name = torch.cuda.get_device_name(0) if cuda else "CPU"
    peak = peak_tflops(name, args.peak_tflops) * 1e12 * world
    mem = torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan")
    if args.smoke:
        print("SMOKE RUN (2-layer model, figures meaningless)")
    print(f"GPU: {world} x {name} (bf16 peak {peak / world / 1e12:.0f} TFLOP/s each); DeepSpeed {args.deepspeed}; "
          f"activation checkpointing {args.checkpointing}; attention {args.attn}")
    print(f"sample: {args.images} image(s) {args.image_size}px ({data.image_tokens} tokens each) + "
          f"{args.text_tokens} text tokens = {data.seq_len} tokens; global batch {args.global_batch} "
          f"({args.per_device_batch} x {accumulation} accumulation x {world} GPUs)")
    print(f"measured {args.steps} steps in {elapsed:.1f} s: {elapsed / args.steps:.3f} s/step, "
          f"{tokens / elapsed:,.0f} tokens/s ({tokens / elapsed / world:,.0f} per GPU), peak memory {mem:.1f} GiB")
    print(f"MFU (LoRA model FLOPs)      : {100 * lora_flops * samples / elapsed / peak:5.1f} %  (goal >= 40 %)")
    print(f"MFU (6N convention)         : {100 * six_n_flops * samples / elapsed / peak:5.1f} %")
    print(f"model TFLOP per sample      : {lora_flops / 1e12:.2f} (LoRA), {six_n_flops / 1e12:.2f} (6N)")
    if math.isnan(elapsed):
        sys.exit(1)


if __name__ == "__main__":
    main()
