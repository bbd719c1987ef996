"""LoRA training throughput with and without sequence packing (``packing: true``), CPU or GPU.

Both arms train the same adapter on the same examples in the same order (global batch 16,
per-device batch 4); the only difference is that the packed arm concatenates each
per-device batch into one row without padding (``tasktransfer.train.packing``). Examples
come from a seeded mixture of BLINK-shaped synthetic tasks with 1 to 4 images, and each
question gets 0..``--extra-words`` seeded filler words, so lengths vary as they do in BLINK.

Two measurements, arms alternated and repeated (``--repeats``) so that load on a shared
machine hits both alike:

* ``train_lora`` end to end: optimizer steps/s and real (non-padding) tokens/s;
* forward + backward only on pre-collated micro-batches: the model compute that padding
  wastes, without data loading and optimizer overhead.

Each figure is the best of the repeats (the least disturbed by other jobs).

It also prints the padding share of the padded batches and both arms' first-step loss
(same objective: equal to ~1e-6). ``--hidden-size`` / ``--layers`` build a larger random
tiny model, where compute rather than Python overhead dominates.

    .venv/bin/python benchmarks/train_packing.py [--steps 6] [--repeats 2] [--hidden-size 64 --layers 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import tempfile
import time
from pathlib import Path

TASKS = ("Counting", "Functional_Correspondence", "Jigsaw", "Forensic_Detection")  # 1, 2, 3, 4 images
FILLER = "the a of image point box which is closer darker left right first second third".split()


def build(root: Path, hidden: int, layers: int, extra_words: int, examples: int):
    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.model.tiny import build_tiny_model
    from tasktransfer.splits import write_split
    from tasktransfer.train.mixture import MixtureComponent

    heads = max(4, hidden // 64)
    model = build_tiny_model(root / "model", seed=0, spec={"hidden_size": hidden, "num_layers": layers,
                                                          "num_heads": heads, "num_kv_heads": heads // 2,
                                                          "intermediate_size": 2 * hidden})
    rng = random.Random(0)
    comps = []
    for task in TASKS:
        rows = []
        for ex in generate(blink_like(task), "train", examples // len(TASKS), seed=0):
            words = " ".join(rng.choice(FILLER) for _ in range(rng.randint(0, extra_words)))
            rows.append(dataclasses.replace(ex, question=f"{words}\n{ex.question}" if words else ex.question))
        write_split(root / f"{task}.parquet", rows)
        comps.append(MixtureComponent(task, root / f"{task}.parquet"))
    return model, comps


def padding_share(model, comps, examples: int, batch: int) -> tuple[float, int, float]:
    """Padding share of the padded batches, real tokens, and attention-score entries packed / padded.

    Noise-free work proxies: linear layers see every token of a row, so packing saves the
    padding share of their work; sdpa/eager attention with a dense (block-diagonal) mask
    computes all ``L x L`` scores of a row, ``(sum T)^2`` packed against ``B x T_max^2``.
    """
    from tasktransfer.model.loading import load_processor
    from tasktransfer.train.dataset import SupervisedCollator
    from tasktransfer.train.mixture import MixtureDataset

    ds = MixtureDataset(comps, budget=examples, seed=0)
    collate = SupervisedCollator(load_processor(model))
    real = total = scores_padded = scores_packed = 0
    for start in range(0, len(ds) - batch + 1, batch):
        enc = collate([ds[i] for i in range(start, start + batch)])
        n = int(enc["attention_mask"].sum())
        real += n
        total += enc["attention_mask"].numel()
        scores_padded += enc["attention_mask"].shape[0] * enc["attention_mask"].shape[1] ** 2
        scores_packed += n**2
    return 1 - real / total, real, scores_packed / scores_padded


def train_arm(model, comps, root: Path, steps: int, examples: int, packing: bool, tag: str) -> dict:
    from tasktransfer.train.trainer import TrainSettings, train_lora

    settings = TrainSettings(lr=1e-3, max_steps=steps, global_batch=16, per_device_batch=4, max_examples=examples,
                             logging_steps=1, packing=packing)
    m = train_lora(model, comps, root / f"adapter-{tag}", settings, seed=0, extra_metrics=None)
    losses = [h["loss"] for h in m["log_history"] if "loss" in h]
    return {"seconds": m["seconds"], "first_loss": losses[0]}


def compute_arm(model, comps, examples: int, packing: bool, repeats: int) -> float:
    """Seconds per forward+backward over all micro-batches (best of ``repeats``)."""
    import torch
    from peft import get_peft_model

    from tasktransfer.model.loading import load_model, load_processor
    from tasktransfer.train.dataset import SupervisedCollator
    from tasktransfer.train.lora import LoraSettings, peft_config
    from tasktransfer.train.mixture import MixtureDataset
    from tasktransfer.train.packing import PackingCollator, rope_index_of
    from tasktransfer.train.weighted_loss import vitw_loss

    net = get_peft_model(load_model(model, dtype="float32"), peft_config(LoraSettings(dropout=0.0))).train()
    collate = SupervisedCollator(load_processor(model))
    if packing:
        collate = PackingCollator(collate, rope_index_of(net))
    ds = MixtureDataset(comps, budget=examples, seed=0)
    batches = [collate([ds[i] for i in range(s, s + 4)]) for s in range(0, len(ds) - 3, 4)]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for b in batches:
            inputs = {k: v for k, v in b.items() if k not in ("labels", "loss_weights", "task_ids")}
            loss = vitw_loss(net(**inputs).logits, b["labels"], b.get("loss_weights", torch.ones(b["labels"].shape[0])))
            loss.backward()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=6, help="optimizer steps per train_lora arm (16 examples each)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--extra-words", type=int, default=120, help="max seeded filler words added to a question")
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    examples = 16 * args.steps
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model, comps = build(root, args.hidden_size, args.layers, args.extra_words, examples)
        share, real_tokens, scores = padding_share(model, comps, examples, 4)
        print(f"model hidden {args.hidden_size} x {args.layers} layers; {examples} examples, "
              f"{real_tokens} real tokens; padding is {100 * share:.1f}% of the padded batches' tokens; "
              f"attention scores with a dense mask, packed / padded: x{scores:.2f}")
        train = {False: [], True: []}
        compute = {False: [], True: []}
        for r in range(args.repeats):
            for packing in (False, True):
                train[packing].append(train_arm(model, comps, root, args.steps, examples, packing, f"{packing}-{r}"))
                compute[packing].append(compute_arm(model, comps, examples, packing, 1))
        best_train = {p: min(t["seconds"] for t in train[p]) for p in (False, True)}
        best_fb = {p: min(compute[p]) for p in (False, True)}
        for packing in (False, True):
            sec = best_train[packing]
            print(f"{'packed' if packing else 'padded'}: train_lora {args.steps / sec:.3f} steps/s "
                  f"({real_tokens / sec:.0f} real tok/s); forward+backward {best_fb[packing]:.3f} s; "
                  f"first-step loss {train[packing][0]['first_loss']:.6f}")
        print(f"speed-up packed vs padded: train_lora steps/s x{best_train[False] / best_train[True]:.2f}; "
              f"forward+backward x{best_fb[False] / best_fb[True]:.2f}")

if __name__ == "__main__":
    main()
