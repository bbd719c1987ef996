"""Letter scoring (one forward pass) vs free-text generation + parsing, as lmms-eval does it.

Same model, same questions, same process. Generation follows lmms-eval's BLINK setup for
Qwen2.5-VL (``generate_until`` of their ``qwen2_5_vl`` wrapper, BLINK task yaml): a note
asking for a bare letter before the question, greedy decoding (``do_sample`` off) with
``max_new_tokens`` 1024 (the yaml's ``generation_kwargs``), KV cache on, stop at the
tokenizer's end of turn, batch size 1 by default as their wrapper; then parsing with
lmms-eval's anchored regex and with BLINK's own rules. Both arms use the same processor
and the same decoded images (lmms-eval additionally re-encodes every image as base64
JPEG, which this generation arm skips: that only makes generation look faster).

Timing: the arms run interleaved (letter, generation at each batch size, letter, ...),
each up to ``--repeats`` times, an arm stopping once its runs add up to 30 s; the median
is reported, so both see the same machine load. ``--breakdown`` adds one more run of each
arm with forward hooks and splits its time into preprocessing (image decoding + chat
template + processor, timed on its own), vision encoder, language-model prefill, decode
steps and the rest (``generate()`` bookkeeping, parsing, scoring's log-softmax).

Defaults: the tiny Qwen2.5-VL built offline and BLINK-shaped synthetic questions, in two
regimes. The untuned random model never emits end-of-turn, so its generations run to
max_new_tokens (an upper bound of the gap). With ``--adapter-steps`` (default 30) a
LoRA is first trained on letter answers of the same tasks (our trainer), so the model
answers "X<|im_end|>" and stops like an instruct model does: the realistic regime and
a meaningful agreement. Pass ``--model`` on a GPU machine for a real model.

Workflow jobs read each question's processor output from a file that the ``encode_eval``
rule writes once per model (:mod:`tasktransfer.evaluate.encoded`). The letter arms are
therefore timed both ways, with the processor in the loop and from those inputs, and the
one-off encoding is timed and charged per evaluation as the grid shares it
(``--evaluations-per-model``, default 53: base + 13 tasks x 4 seeds).

``--shared-adapters N`` adds the per-checkpoint view of a grid: N letter-tuned adapters
(seeds 0..N-1), each evaluated by generation on its own merged model (lmms-eval evaluates
one checkpoint per run), against letter scoring of all N in one pass of the workflow's
``evaluation.mode: shared`` (one processor call and one vision-tower pass per batch,
shared by every adapter). Times are divided by N; model loading is excluded from both.

    .venv/bin/python benchmarks/eval_letter_vs_generate.py [--questions 8] [--tasks 3] \\
        [--generate-batch-size 1 8] [--repeats 3] [--breakdown] [--shared-adapters 13]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ARM_BUDGET_S = 30.0  # an arm stops repeating once its timed runs add up to this


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="local Qwen2.5-VL folder (default: build the tiny model)")
    ap.add_argument("--questions", type=int, default=8, help="questions per task")
    ap.add_argument("--tasks", type=int, default=3, help="how many BLINK-shaped tasks (2-, 3- and 4-option first)")
    ap.add_argument("--batch-size", type=int, default=8, help="letter-scoring batch size")
    ap.add_argument("--generate-batch-size", type=int, nargs="+", default=[1, 8],
                    help="generation batch sizes to compare (1 is lmms-eval's default for Qwen2.5-VL)")
    ap.add_argument("--max-new-tokens", type=int, default=None, help="default: lmms-eval's 1024")
    ap.add_argument("--adapter-steps", type=int, default=30, help="LoRA steps for the trained regime (0: skip)")
    ap.add_argument("--skip-untuned", action="store_true", help="only the LoRA-tuned regime")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per arm (median; 30 s budget per arm)")
    ap.add_argument("--prefetch", choices=["auto", "on", "off"], default="auto",
                    help="letter scoring: encode the next batch in a worker thread (auto: on a GPU only)")
    ap.add_argument("--breakdown", action="store_true", help="split each arm's time by stage (one extra run)")
    ap.add_argument("--evaluations-per-model", type=int, default=53,
                    help="evaluations sharing one encode_eval job (paper grid: base + 13 tasks x 4 seeds)")
    ap.add_argument("--shared-adapters", type=int, default=0,
                    help="also compare per checkpoint: N tuned adapters, shared-mode letter scoring vs "
                         "generation on each merged checkpoint (0: skip)")
    args = ap.parse_args()
    if (args.repeats < 1 or args.batch_size < 1 or min(args.generate_batch_size) < 1
            or args.evaluations_per_model < 1):
        ap.error("--repeats, --batch-size, --generate-batch-size and --evaluations-per-model must be positive")
    if args.shared_adapters < 0 or (args.shared_adapters and not args.adapter_steps):
        ap.error("--shared-adapters needs a non-negative count and --adapter-steps > 0")

    import torch

    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.evaluate.encoded import EncodedInputs, write_encoded
    from tasktransfer.evaluate.generate import LMMS_EVAL_MAX_NEW_TOKENS, agreement, generate_rows
    from tasktransfer.evaluate.scoring import score_rows
    from tasktransfer.model.loading import load_model, load_processor
    from tasktransfer.model.tiny import build_tiny_model
    from tasktransfer.splits import iter_split, write_split

    torch.set_num_threads(1)
    tasks = ["Relative_Depth", "Relative_Reflectance", "Counting", "Jigsaw", "Visual_Correspondence"][: args.tasks]
    max_new = args.max_new_tokens or LMMS_EVAL_MAX_NEW_TOKENS
    prefetch = {"auto": None, "on": True, "off": False}[args.prefetch]
    with tempfile.TemporaryDirectory(prefix="bench-gen-") as tmp:
        root = Path(tmp)
        base = Path(args.model) if args.model else build_tiny_model(root / "tiny", seed=0)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        processor = load_processor(base)
        split = root / "questions.parquet"
        write_split(split, [ex for t in tasks for ex in generate(blink_like(t), "val", args.questions, seed=2)])
        rows = list(iter_split(split))
        t0 = time.perf_counter()
        write_encoded(root / "questions.safetensors", split, base, log=lambda _: None)
        t_encode = time.perf_counter() - t0
        encoded = EncodedInputs(root / "questions.safetensors")
        per_eval = t_encode / args.evaluations_per_model
        regimes = [] if args.skip_untuned else [("untuned", None)]
        if args.adapter_steps:
            regimes.append(("LoRA-tuned", train_adapter(root, base, tasks, args.adapter_steps)))
        print(f"model: {'tiny (built)' if not args.model else args.model} on {device}; {len(rows)} questions "
              f"({', '.join(tasks)}), letter batch {args.batch_size} (prefetch {args.prefetch}), generation "
              f"batch {' and '.join(map(str, args.generate_batch_size))}, max_new_tokens {max_new}, "
              f"median of up to {args.repeats} interleaved runs")
        print(f"encode_eval once for these questions: {t_encode:.3f} s; per evaluation of a model with "
              f"{args.evaluations_per_model}: {per_eval:.4f} s (added to every arm read from encoded inputs)")
        dtype = "bfloat16" if device == "cuda" else "float32"
        for label, adapter in regimes:
            model = load_model(base, dtype=dtype, device=device)
            if adapter is not None:
                from peft import PeftModel

                model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()
            arms: dict[str, Callable[[], Any]] = {
                "letter": lambda: score_rows(model, processor, rows, args.batch_size, prefetch=prefetch),
                "letter_encoded": lambda: score_rows(model, processor, rows, args.batch_size, prefetch=prefetch,
                                                     encoded=encoded)}
            if adapter is not None:  # as the workflow's per-checkpoint job runs it: the adapter unmerged
                from tasktransfer.evaluate.multi import Source, load_base_and_adapters, score_sources

                src = Source("tuned", "0", adapter)
                peft_model, _ = load_base_and_adapters(base, [src], device, dtype)
                arms["letter_peft"] = lambda: score_sources(peft_model, processor, rows, [src], args.batch_size,
                                                            prefetch=prefetch)[src.name]
                arms["letter_peft_encoded"] = lambda: score_sources(peft_model, processor, rows, [src],
                                                                    args.batch_size, prefetch=prefetch,
                                                                    encoded=encoded)[src.name]
            for gb in args.generate_batch_size:
                arms[f"gen{gb}"] = lambda gb=gb: generate_rows(model, processor, rows, gb, max_new_tokens=max_new)
            score_rows(model, processor, rows[: args.batch_size], args.batch_size, prefetch=prefetch)  # warm-up
            generate_rows(model, processor, rows[:1], 1, max_new_tokens=2)
            times, results = timed_interleaved(arms, args.repeats, sync=torch.cuda.synchronize if device == "cuda"
                                               else None)
            t_letter = statistics.median(times["letter"])
            print(f"\n[{label}]")
            print(f"letter scoring (batch {args.batch_size})        : {t_letter:8.3f} s   "
                  f"(runs {fmt_runs(times['letter'])})")
            for gb in args.generate_batch_size:
                t_gen = statistics.median(times[f"gen{gb}"])
                report = agreement(results["letter"], results[f"gen{gb}"])
                print(f"generation + parsing (batch {gb}) : {t_gen:8.3f} s   (runs {fmt_runs(times[f'gen{gb}'])}; "
                      f"mean new tokens {report['mean_new_tokens']:.1f})")
                print(f"  speed ratio                     : {t_gen / t_letter:8.1f}x  (goal >= 5x)")
                for name, r in report["parsers"].items():
                    print(f"  parser {name:9s}: agreement {r['agree']:.3f}, unparsed {r['unparsed']:.3f}, "
                          f"accuracy {r['accuracy']:.3f}")
            t_gen1 = statistics.median(times[f"gen{args.generate_batch_size[0]}"])
            same = results["letter_encoded"] == results["letter"]
            t_enc = statistics.median(times["letter_encoded"]) + per_eval
            print(f"letter scoring from encoded inputs (+ share of encode_eval): {t_enc:8.3f} s   (runs "
                  f"{fmt_runs(times['letter_encoded'])}; identical scores: {same}); vs generation batch "
                  f"{args.generate_batch_size[0]}: {t_gen1 / t_enc:.1f}x")
            if "letter_peft" in times:
                t_peft = statistics.median(times["letter_peft"])
                same = [x.prediction for x in results["letter_peft"]] == [x.prediction for x in results["letter"]]
                print(f"letter scoring, adapter unmerged, processor in the loop: {t_peft:8.3f} s   (runs "
                      f"{fmt_runs(times['letter_peft'])}; same letters as merged: {same}); vs generation batch "
                      f"{args.generate_batch_size[0]}: {t_gen1 / t_peft:.1f}x")
                t_wf = statistics.median(times["letter_peft_encoded"]) + per_eval
                same = results["letter_peft_encoded"] == results["letter_peft"]
                print(f"letter scoring as an eval_checkpoint job runs it (unmerged, encoded inputs + share of "
                      f"encode_eval): {t_wf:8.3f} s   (runs {fmt_runs(times['letter_peft_encoded'])}; identical "
                      f"scores: {same}); vs generation batch {args.generate_batch_size[0]}: {t_gen1 / t_wf:.1f}x")
            print(f"letter-scoring accuracy {report['letter_accuracy']:.3f}")
            print("generated text, first 3:", json.dumps([g.text[:40] for g in results[f'gen{gb}'][:3]]))
            if args.breakdown:
                # the hooks sit on the merged model; arms read from encoded inputs have no preprocessing to split off
                hooked = {k: v for k, v in arms.items() if k == "letter" or k.startswith("gen")}
                print_breakdown(model, processor, rows, hooked, args.batch_size, args.generate_batch_size)
        if args.shared_adapters:
            compare_shared(root, base, processor, rows, tasks, args, device, dtype, max_new, prefetch, encoded,
                           per_eval)


def timed_interleaved(arms: dict[str, Callable[[], Any]], repeats: int, sync: Callable[[], None] | None = None):
    """Wall times of each arm over up to ``repeats`` rounds (arms in turn), and each arm's last result."""
    times: dict[str, list[float]] = {k: [] for k in arms}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        for name, fn in arms.items():
            if times[name] and sum(times[name]) >= ARM_BUDGET_S:
                continue
            if sync:
                sync()
            t0 = time.perf_counter()
            results[name] = fn()
            if sync:
                sync()
            times[name].append(time.perf_counter() - t0)
    return times, results


def fmt_runs(ts: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in ts)


class StageMeter:
    """Forward hooks that sum vision-encoder time and language-model forward time (prefill vs 1-token steps)."""

    def __init__(self, model) -> None:
        self.on = False
        self.vision = self.prefill = self.decode = 0.0
        self.decode_steps = self.forwards = 0
        self._t: dict[str, float] = {}
        self._in_forward = False
        self._vision_in_forward = 0.0
        visual = model.model.visual
        self._handles = [
            model.register_forward_pre_hook(self._pre("fwd"), with_kwargs=True),
            model.register_forward_hook(self._post_forward, with_kwargs=True),
            visual.register_forward_pre_hook(self._pre("vis"), with_kwargs=True),
            visual.register_forward_hook(self._post_vision, with_kwargs=True),
        ]

    def reset(self) -> None:
        self.vision = self.prefill = self.decode = 0.0
        self.decode_steps = self.forwards = 0

    def _pre(self, key: str):
        def hook(module, args, kwargs):
            self._t[key] = time.perf_counter()
            if key == "fwd":
                self._in_forward, self._vision_in_forward = True, 0.0
        return hook

    def _post_vision(self, module, args, kwargs, output) -> None:
        dt = time.perf_counter() - self._t["vis"]
        if self.on:
            self.vision += dt
        if self._in_forward:
            self._vision_in_forward += dt

    def _post_forward(self, module, args, kwargs, output) -> None:
        dt = time.perf_counter() - self._t["fwd"] - self._vision_in_forward
        self._in_forward = False
        if not self.on:
            return
        ids = kwargs.get("input_ids")
        length = ids.shape[1] if ids is not None else kwargs["inputs_embeds"].shape[1]
        self.forwards += 1
        if length == 1:
            self.decode, self.decode_steps = self.decode + dt, self.decode_steps + 1
        else:
            self.prefill += dt

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def print_breakdown(model, processor, rows, arms, batch_size: int, gen_batch_sizes: list[int]) -> None:
    """One hooked run per arm, split by stage; preprocessing timed on its own (same batches)."""
    from tasktransfer.evaluate.generate import encode_generation_batch
    from tasktransfer.evaluate.scoring import encode_batch, length_order

    order = length_order(rows)

    def preprocess_time(encode, bs: int) -> float:
        t0 = time.perf_counter()
        for s in range(0, len(order), bs):
            encode(processor, [rows[i] for i in order[s : s + bs]])
        return time.perf_counter() - t0

    meter = StageMeter(model)
    n = len(rows)
    print(f"cost breakdown, ms per question (one hooked run each; {n} questions):")
    print(f"  {'arm':22s} {'total':>7s} {'preproc':>8s} {'vision':>7s} {'prefill':>8s} {'decode':>7s} "
          f"{'(steps)':>7s} {'rest':>6s}")
    for name, fn in arms.items():
        bs = batch_size if name == "letter" else int(name[3:])
        pre = preprocess_time(encode_batch if name == "letter" else encode_generation_batch, bs)
        meter.reset()
        meter.on = True
        t0 = time.perf_counter()
        fn()
        total = time.perf_counter() - t0
        meter.on = False
        rest = total - pre - meter.vision - meter.prefill - meter.decode
        label = f"letter (batch {bs})" if name == "letter" else f"generation (batch {bs})"
        print(f"  {label:22s} {1e3 * total / n:7.2f} {1e3 * pre / n:8.2f} {1e3 * meter.vision / n:7.2f} "
              f"{1e3 * meter.prefill / n:8.2f} {1e3 * meter.decode / n:7.2f} {meter.decode_steps:7d} "
              f"{1e3 * rest / n:6.2f}")
    meter.remove()


def compare_shared(root: Path, base: Path, processor, rows, tasks: list[str], args, device: str, dtype: str,
                   max_new: int, prefetch: bool | None, encoded, per_eval: float) -> None:
    """Per checkpoint: shared-mode letter scoring of N adapters vs generation on each merged adapter."""
    import torch
    from peft import PeftModel

    from tasktransfer.evaluate.generate import agreement, generate_rows
    from tasktransfer.evaluate.multi import Source, load_base_and_adapters, score_sources
    from tasktransfer.model.loading import load_model

    n = args.shared_adapters
    adapters = [train_adapter(root / f"shared{k}", base, tasks, args.adapter_steps, seed=k) for k in range(n)]
    sources = [Source("tuned", str(k), a) for k, a in enumerate(adapters)]
    shared, _ = load_base_and_adapters(base, sources, device, dtype)
    merged = [PeftModel.from_pretrained(load_model(base, dtype=dtype, device=device), str(a)).merge_and_unload().eval()
              for a in adapters]
    gb = args.generate_batch_size[0]
    arms: dict[str, Callable[[], Any]] = {
        "letter": lambda: score_sources(shared, processor, rows, sources, args.batch_size, prefetch=prefetch),
        "letter_encoded": lambda: score_sources(shared, processor, rows, sources, args.batch_size, prefetch=prefetch,
                                                encoded=encoded),
        "gen": lambda: [generate_rows(m, processor, rows, gb, max_new_tokens=max_new) for m in merged]}
    score_sources(shared, processor, rows[: args.batch_size], sources, args.batch_size, prefetch=prefetch)  # warm-up
    times, results = timed_interleaved(arms, args.repeats, sync=torch.cuda.synchronize if device == "cuda" else None)
    t_letter, t_gen = statistics.median(times["letter"]) / n, statistics.median(times["gen"]) / n
    reports = [agreement(results["letter"][s.name], g) for s, g in zip(sources, results["gen"])]
    distinct = len({tuple(x.prediction for x in v) for v in results["letter"].values()})
    print(f"\n[per checkpoint, {n} tuned adapters ({distinct} distinct prediction sets)]")
    print(f"letter scoring, shared mode (batch {args.batch_size}) : {t_letter:8.3f} s per checkpoint   "
          f"(runs of all {n}: {fmt_runs(times['letter'])})")
    print(f"generation + parsing, each merged (batch {gb}) : {t_gen:8.3f} s per checkpoint   "
          f"(runs of all {n}: {fmt_runs(times['gen'])}; mean new tokens "
          f"{statistics.mean(r['mean_new_tokens'] for r in reports):.1f})")
    print(f"  speed ratio                     : {t_gen / t_letter:8.1f}x  (goal >= 5x)")
    t_enc = statistics.median(times["letter_encoded"]) / n + per_eval
    print(f"letter scoring, shared mode from encoded inputs (+ share of encode_eval): {t_enc:8.3f} s per checkpoint "
          f"(identical scores: {results['letter_encoded'] == results['letter']}); vs generation: {t_gen / t_enc:.1f}x")
    for name in reports[0]["parsers"]:
        print(f"  parser {name:9s}: agreement {min(r['parsers'][name]['agree'] for r in reports):.3f} "
              f"(lowest of {n}), unparsed {max(r['parsers'][name]['unparsed'] for r in reports):.3f} (highest)")


def train_adapter(root: Path, base: Path, tasks: list[str], steps: int, seed: int = 0) -> Path:
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
    train_lora(base, comps, root / "adapter", settings, seed=seed)
    return root / "adapter"


if __name__ == "__main__":
    main()
