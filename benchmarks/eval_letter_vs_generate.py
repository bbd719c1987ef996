"""Letter scoring (one forward pass) vs free-text generation + parsing, as lmms-eval does it.

Same model, same questions, same process. Generation follows lmms-eval's BLINK setup for
Qwen2.5-VL (batch size 1 by default, as their model wrapper): a note asking for a bare letter before the question, greedy decoding with
``max_new_tokens`` 1024 (their setting), then parsing with lmms-eval's anchored regex
and with BLINK's own rules. Prints both wall times, the speed ratio (goal >= 5x) and the
agreement of the parsed letters with the letter-scoring predictions.

Defaults: the tiny Qwen2.5-VL built offline and BLINK-shaped synthetic questions, in two
regimes. The untuned random model never emits end-of-turn, so its generations run to
max_new_tokens (an upper bound of the gap). With ``--adapter-steps`` (default 30) a
LoRA is first trained on letter answers of the same tasks (our trainer), so the model
answers "X<|im_end|>" and stops like an instruct model does: the realistic regime and
a meaningful agreement. Pass ``--model`` on a GPU machine for a real model.

    .venv/bin/python benchmarks/eval_letter_vs_generate.py [--questions 8] [--tasks 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="local Qwen2.5-VL folder (default: build the tiny model)")
    ap.add_argument("--questions", type=int, default=8, help="questions per task")
    ap.add_argument("--tasks", type=int, default=3, help="how many BLINK-shaped tasks (2-, 3- and 4-option first)")
    ap.add_argument("--batch-size", type=int, default=8, help="letter-scoring batch size")
    ap.add_argument("--generate-batch-size", type=int, default=1,
                    help="generation batch size (default 1, lmms-eval's default for Qwen2.5-VL)")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: lmms-eval's 1024")
    ap.add_argument("--adapter-steps", type=int, default=30, help="LoRA steps for the trained regime (0: skip)")
    args = ap.parse_args()

    import torch

    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.evaluate.generate import LMMS_EVAL_MAX_NEW_TOKENS, agreement, generate_rows
    from tasktransfer.evaluate.scoring import score_rows
    from tasktransfer.model.loading import load_model, load_processor
    from tasktransfer.model.tiny import build_tiny_model

    torch.set_num_threads(1)
    tasks = ["Relative_Depth", "Relative_Reflectance", "Counting", "Jigsaw", "Visual_Correspondence"][: args.tasks]
    max_new = args.max_new_tokens or LMMS_EVAL_MAX_NEW_TOKENS
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        root = Path(tmp)
        base = Path(args.model) if args.model else build_tiny_model(root / "tiny", seed=0)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        processor = load_processor(base)
        rows = [ex.to_row() for t in tasks for ex in generate(blink_like(t), "val", args.questions, seed=2)]
        for r in rows:
            r["images"] = [img["bytes"] for img in r["images"]]
        regimes = [("untuned", None)]
        if args.adapter_steps:
            regimes.append(("LoRA-tuned", train_adapter(root, base, tasks, args.adapter_steps)))
        print(f"model: {'tiny (built)' if not args.model else args.model} on {device}; {len(rows)} questions "
              f"({', '.join(tasks)}), letter batch {args.batch_size}, generation batch {args.generate_batch_size}, "
              f"max_new_tokens {max_new}")
        for label, adapter in regimes:
            model = load_model(base, dtype="bfloat16" if device == "cuda" else "float32", device=device)
            if adapter is not None:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()
            score_rows(model, processor, rows[: args.batch_size], args.batch_size)  # warm-up
            t0 = time.perf_counter()
            scored = score_rows(model, processor, rows, args.batch_size)
            t_letter = time.perf_counter() - t0
            t0 = time.perf_counter()
            generated = generate_rows(model, processor, rows, args.generate_batch_size, max_new_tokens=max_new)
            t_gen = time.perf_counter() - t0
            report = agreement(scored, generated)
            print(f"\n[{label}]")
            print(f"letter scoring       : {t_letter:8.2f} s")
            print(f"generation + parsing : {t_gen:8.2f} s   (mean new tokens {report['mean_new_tokens']:.1f})")
            print(f"speed ratio          : {t_gen / t_letter:8.1f}x  (goal >= 5x)")
            print(f"letter-scoring accuracy {report['letter_accuracy']:.3f}")
            for name, r in report["parsers"].items():
                print(f"parser {name:9s}: agreement {r['agree']:.3f}, unparsed {r['unparsed']:.3f}, "
                      f"accuracy {r['accuracy']:.3f}")
            print("generated text, first 3:", json.dumps([g.text[:40] for g in generated[:3]]))


def train_adapter(root: Path, base: Path, tasks: list[str], steps: int) -> Path:
    """A quick LoRA on balanced letter answers of ``tasks`` (train split, other seed than eval)."""
    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.splits import write_split
    from tasktransfer.train.mixture import MixtureComponent
    from tasktransfer.train.trainer import TrainSettings, train_lora

    comps = []
    for t in tasks:
        path = root / "train" / f"{t}.parquet"
        write_split(path, generate(blink_like(t), "train", 64, seed=5))
        comps.append(MixtureComponent(t, path))
    settings = TrainSettings(lr=1e-2, max_steps=steps, global_batch=4, per_device_batch=4, max_examples=4 * steps,
                             logging_steps=max(1, steps // 3))
    train_lora(base, comps, root / "adapter", settings, seed=0)
    return root / "adapter"

if __name__ == "__main__":
    main()
