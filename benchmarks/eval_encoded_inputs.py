"""Questions preprocessed once (rule encode_eval) vs the processor in every evaluation, at real image sizes.

The tiny model's processor fixes images at 56x56; a real Qwen2.5-VL keeps them near their
own size (min 3,136 and max 12,845,056 pixels, its published defaults), which is where
preprocessing costs most. This builds the tiny model, switches its processor to those
limits, writes a split of JPEG photos-like images (a gradient plus noise) at each
``--size`` and times, per image, in the same run:

* the processor as an evaluation without ``encode_eval`` runs it (JPEG decode + chat
  template + tokenizer + image processor, batches of ``--batch-size``, length-sorted);
* the same batches built from ``encode_eval``'s file (``EncodedInputs.batch``);
* the one-off encoding (``write_encoded``: the processor plus the byte codes).

It checks the two batch paths give the same bits and prints the ratio and the file size
against the processor's float32.

    .venv/bin/python benchmarks/eval_encoded_inputs.py [--size 1024x768 448x448] [--images 16]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from pathlib import Path


def photo_like(height: int, width: int, seed: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 255, width)[None, :, None] * np.ones((height, 1, 3))
    pixels = np.clip(ramp + rng.normal(0, 30, (height, width, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", nargs="+", default=["1024x768", "448x448"], help="image sizes, WIDTHxHEIGHT")
    ap.add_argument("--images", type=int, default=16, help="questions (one image each) per size")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per arm (median)")
    args = ap.parse_args()
    if args.images < 1 or args.batch_size < 1 or args.repeats < 1:
        ap.error("--images, --batch-size and --repeats must be positive")

    import torch

    from tasktransfer.demo.synthetic import blink_like, generate
    from tasktransfer.evaluate.encoded import EncodedInputs, write_encoded
    from tasktransfer.evaluate.scoring import encode_batch, length_order
    from tasktransfer.model.loading import load_processor
    from tasktransfer.model.tiny import build_tiny_model
    from tasktransfer.splits import iter_split, write_split

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="bench-encoded-") as tmp:
        root = Path(tmp)
        base = build_tiny_model(root / "tiny", seed=0)
        config = json.loads((base / "processor_config.json").read_text())
        config["image_processor"]["size"] = {"shortest_edge": 3136, "longest_edge": 12845056}
        (base / "processor_config.json").write_text(json.dumps(config))
        processor = load_processor(base)
        print(f"tiny Qwen2.5-VL, processor at Qwen2.5-VL's pixel limits; {args.images} one-image questions per size, "
              f"batch {args.batch_size}, 1 thread, median of {args.repeats}")
        for size in args.size:
            width, height = (int(x) for x in size.lower().split("x"))
            questions = list(generate(blink_like("Relative_Reflectance"), "val", args.images, seed=4))
            for k, ex in enumerate(questions):
                ex.images = [photo_like(height, width, seed=k)]
            split = root / f"{size}.parquet"
            write_split(split, questions)
            rows = list(iter_split(split))
            order = length_order(rows)
            chunks = [order[s : s + args.batch_size] for s in range(0, len(order), args.batch_size)]
            out = root / f"{size}.safetensors"
            t0 = time.perf_counter()
            write_encoded(out, split, base, batch_size=args.batch_size, log=lambda _: None)
            t_encode = time.perf_counter() - t0
            encoded = EncodedInputs(out)
            arms = {"processor": lambda: [encode_batch(processor, [rows[i] for i in c]) for c in chunks],
                    "file": lambda: [encoded.batch(c) for c in chunks]}
            times: dict[str, list[float]] = {k: [] for k in arms}
            results = {}
            for _ in range(args.repeats):
                for name, fn in arms.items():
                    t0 = time.perf_counter()
                    results[name] = fn()
                    times[name].append(time.perf_counter() - t0)
            same = all(
                torch.equal(a[k].view(torch.int32) if a[k].is_floating_point() else a[k],
                            b[k].view(torch.int32) if b[k].is_floating_point() else b[k])
                for a, b in zip(results["processor"], results["file"]) for k in a)
            floats = sum(b["pixel_values"].numel() for b in results["processor"]) * 4
            t_proc, t_file = (statistics.median(times[k]) / len(rows) for k in ("processor", "file"))
            print(f"\n{size}: {rows and results['processor'][0]['image_grid_thw'][0].tolist()} patch grid per image")
            print(f"  processor per image          : {t_proc * 1e3:8.1f} ms")
            print(f"  from encode_eval's file      : {t_file * 1e3:8.1f} ms   ratio {t_proc / t_file:5.1f}x  "
                  f"(same bits: {same})")
            print(f"  encode_eval, once per model  : {t_encode / len(rows) * 1e3:8.1f} ms per image")
            print(f"  file size                    : {out.stat().st_size / len(rows) / 1e6:8.2f} MB per image, "
                  f"{floats / out.stat().st_size:.1f}x smaller than the processor's float32")
            if not same:
                raise SystemExit("the file's batches differ from the processor's")


if __name__ == "__main__":
    main()
