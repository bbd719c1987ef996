"""Base + 13 adapters in one evaluation job vs 14 separate evaluation processes.

Both arms evaluate the same sources on the same 13 evaluation splits and write the
workflow's per-source predictions.parquet / accuracy.csv; the script checks the files are
byte-identical and prints wall times and their ratio (goal >= 3x on the tiny model).

* separate: 14 processes in a row, each what rule eval_checkpoint runs
  (``evaluate_checkpoint``: import, load base (+ adapter), read the encoded inputs, vision
  tower, score);
* shared: one process (``evaluate_many``): base loaded once, adapters attached with
  ``load_adapter``, each batch read once and its vision features computed once.

As in the workflow, both arms read the questions that rule ``encode_eval`` preprocessed
once (timed and reported on its own, not added to either arm); ``--processor-in-loop``
makes both run the processor instead, as before that rule existed.

Defaults build everything offline: the tiny Qwen2.5-VL, BLINK-shaped synthetic splits
(--questions per task) and 13 seeded random LoRA adapters (language model only, the
trainer's targeting; random weights so that every source predicts differently). On a GPU
machine pass ``--model`` (a local Qwen2.5-VL folder) to measure a real model.

    .venv/bin/python benchmarks/eval_multi_adapter.py [--questions 40] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tasktransfer.tasks import BLINK_TASKS


def build_inputs(root: Path, model: str | None, questions: int) -> tuple[Path, dict, dict]:
    import torch
    from peft import get_peft_model

    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.model.loading import load_model
    from tasktransfer.model.tiny import build_tiny_model
    from tasktransfer.splits import write_split
    from tasktransfer.train.lora import LoraSettings, peft_config

    base = Path(model) if model else build_tiny_model(root / "tiny", seed=0)
    splits = {}
    for task in BLINK_TASKS:
        splits[task] = root / "eval" / f"{task}.parquet"
        write_split(splits[task], generate(blink_like(task), "val", questions, seed=1))
    adapters = {}
    for k, task in enumerate(BLINK_TASKS):
        torch.manual_seed(100 + k)
        peft_model = get_peft_model(load_model(base), peft_config(LoraSettings()))
        with torch.no_grad():
            for name, p in peft_model.named_parameters():
                if "lora_B" in name:
                    p.normal_(0.0, 0.5)
        adapters[task] = root / "adapters" / task
        peft_model.save_pretrained(adapters[task])
    return base, splits, adapters


def worker(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    job = json.loads(Path(args.worker).read_text())
    splits = {t: Path(p) for t, p in job["splits"].items()}
    encoded = job["encoded"]
    quiet = lambda *_: None  # noqa: E731
    if job["mode"] == "single":
        from tasktransfer.evaluate.run import evaluate_checkpoint

        evaluate_checkpoint(job["base"], splits, job["pred"], job["acc"], "bench", job["source"], job["seed"],
                            job["adapter"], batch_size=job["batch_size"], log=quiet, encoded_inputs=encoded)
    else:
        from tasktransfer.evaluate.multi import Source, evaluate_many

        jobs = [(Source(j["source"], j["seed"], Path(j["adapter"]) if j["adapter"] else None), j["pred"], j["acc"])
                for j in job["jobs"]]
        evaluate_many(job["base"], splits, jobs, "bench", batch_size=job["batch_size"], log=quiet,
                      encoded_inputs=encoded)


def run_worker(job: dict, root: Path, name: str, threads: int) -> float:
    path = root / f"{name}.json"
    path.write_text(json.dumps(job))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--worker", str(path), "--threads", str(threads)], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="local Qwen2.5-VL folder (default: build the tiny model)")
    ap.add_argument("--questions", type=int, default=40, help="questions per task (default 40)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--processor-in-loop", action="store_true",
                    help="run the processor in every arm instead of reading encode_eval's inputs")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-multi-") as tmp:
        root = Path(tmp)
        base, splits, adapters = build_inputs(root, args.model, args.questions)
        sources = [("base", "", None)] + [(t, "0", str(p)) for t, p in adapters.items()]
        encoded, t_encode = None, 0.0
        if not args.processor_in_loop:
            from tasktransfer.evaluate.encoded import write_encoded

            start = time.perf_counter()
            encoded = {t: str(root / "encoded" / f"{t}.safetensors") for t in splits}
            for t, path in splits.items():
                write_encoded(encoded[t], path, base, batch_size=args.batch_size, log=lambda _: None)
            t_encode = time.perf_counter() - start
        common = {"base": str(base), "splits": {t: str(p) for t, p in splits.items()}, "batch_size": args.batch_size,
                  "encoded": encoded}
        t_sep = 0.0
        for source, seed, adapter in sources:
            out = root / "separate" / source
            t_sep += run_worker({**common, "mode": "single", "source": source, "seed": seed, "adapter": adapter,
                                 "pred": str(out / "p.parquet"), "acc": str(out / "a.csv")}, root, f"s-{source}",
                                args.threads)
        jobs = [{"source": s, "seed": seed, "adapter": a, "pred": str(root / "shared" / s / "p.parquet"),
                 "acc": str(root / "shared" / s / "a.csv")} for s, seed, a in sources]
        t_shared = run_worker({**common, "mode": "many", "jobs": jobs}, root, "many", args.threads)
        identical = all((root / "separate" / s / f).read_bytes() == (root / "shared" / s / f).read_bytes()
                        for s, _, _ in sources for f in ("p.parquet", "a.csv"))
        distinct = len({(root / "shared" / s / "p.parquet").read_bytes() for s, _, _ in sources})
    n_q = args.questions * len(BLINK_TASKS)
    print(f"model: {'tiny (built)' if not args.model else args.model}; {len(sources)} sources x {n_q} questions "
          f"({len(BLINK_TASKS)} tasks x {args.questions}), batch {args.batch_size}, {args.threads} thread(s)")
    print("inputs: " + ("the processor in every arm" if args.processor_in_loop else
                        f"read from encode_eval's files (encoding them once took {t_encode:.2f} s, in neither arm)"))
    print(f"separate processes (baseline): {t_sep:8.2f} s")
    print(f"one job, shared base+vision  : {t_shared:8.2f} s")
    print(f"speed ratio                  : {t_sep / t_shared:8.2f}x  (goal >= 3x)")
    print(f"identical outputs            : {identical}  ({distinct} distinct prediction sets of {len(sources)})")
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
