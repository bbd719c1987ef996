"""Throughput of the part-1 builders (point and box tasks) at realistic image sizes.

For each task: write its raw fixture, re-save every decodable image at 640x480 (keeping
its file name and format) with photo-like noise so JPEG coding costs what it costs on
photos, then time single-process builds (= one core; median of ``--repeats``).
Builders rescale annotations to the image on disk, so the enlarged fixtures stay valid.

Baseline, same run, same files: decode one image and JPEG-encode it (what re-encoding a
marked image costs at the least), times the task's images per question. The ratio
builder/baseline shows the builder's own overhead (drawing, sampling, Parquet).
Times are process CPU seconds (``time.process_time``): one process uses one core, and
CPU time is not inflated when other jobs share the machine.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/data_builders.py [--tasks ...] [--repeats 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tasktransfer.data.build import build_split
from tasktransfer.data.fixtures import fixture_root, write_fixtures
from tasktransfer.data.registry import get_builder
from tasktransfer.data.safety import encode_jpeg
from tasktransfer.tasks import get_task

PART1 = ("Relative_Depth", "Relative_Reflectance", "Visual_Correspondence", "Semantic_Correspondence",
         "Functional_Correspondence", "Multi-view_Reasoning", "Object_Localization")
# Paper training-set sizes (Table 1) for the 16-core extrapolation.
PAPER_EXAMPLES = {"Relative_Depth": 420_000, "Relative_Reflectance": 14_000, "Visual_Correspondence": 6_000,
                  "Semantic_Correspondence": 36_000, "Functional_Correspondence": 100_000,
                  "Multi-view_Reasoning": 4_000, "Object_Localization": 18_912}
SIZE = (640, 480)
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".thumb": "JPEG", ".png": "PNG", ".ppm": "PPM"}


def enlarge_images(root: Path, size: tuple[int, int], seed: int = 0) -> list[Path]:
    """Re-save each decodable image under ``root`` at ``size`` with noise texture; return them."""
    rng = np.random.default_rng(seed)
    done = []
    for path in sorted(root.rglob("*")):
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None or "-mask" in path.name or "-depth" in path.name:
            continue
        try:
            with Image.open(path) as im:
                im = im.convert("RGB")
        except OSError:
            continue  # the fixture's deliberately corrupt image stays corrupt
        w, h = size if im.width >= im.height else size[::-1]
        arr = np.asarray(im.resize((w, h), Image.Resampling.BILINEAR), dtype=np.int16)
        arr = np.clip(arr + rng.integers(-24, 25, size=arr.shape), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        path.write_bytes(buf.getvalue())
        done.append(path)
    return done


def baseline_seconds_per_image(files: list[Path], n: int = 40) -> float:
    """Median time to decode one image and JPEG-encode it again."""
    times = []
    for path in files[:n]:
        t0 = time.process_time()
        with Image.open(path) as im:
            encode_jpeg(im.convert("RGB"))
        times.append(time.process_time() - t0)
    return statistics.median(times)


def bench(task: str, raw: Path, out: Path, repeats: int) -> dict:
    root = fixture_root(raw, task)
    files = enlarge_images(root, SIZE)
    times, examples = [], 0
    for r in range(repeats):
        t0 = time.process_time()
        card = build_split(task, root, out / f"{task}-{r}.parquet", seed=r, progress=None)
        times.append(time.process_time() - t0)
        examples = card.examples
    t = statistics.median(times)
    n_img = get_task(task).n_images
    base = 1.0 / (baseline_seconds_per_image(files) * n_img)
    rate = examples / t
    paper = PAPER_EXAMPLES.get(task)
    return {"task": task, "examples": examples, "seconds": t, "rate": rate, "baseline": base, "ratio": rate / base,
            "marks": get_builder(task).marks_images, "paper_min_16": paper / (16 * rate) / 60 if paper else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="+", default=list(PART1))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = Path(tmp) / "raw", Path(tmp) / "out"
        write_fixtures(raw, seed=0, tasks=args.tasks)
        for task in args.tasks:
            rows.append(bench(task, raw, out, args.repeats))
            r = rows[-1]
            print(f"{task}: {r['examples']} examples in {r['seconds']:.2f} s", file=sys.stderr)
    print("| task | examples | examples/s/core | baseline decode+encode examples/s | ratio | marker task |"
          " paper size on 16 cores |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        paper = f"{r['paper_min_16']:.1f} min" if r["paper_min_16"] is not None else "-"
        print(f"| {r['task']} | {r['examples']} | {r['rate']:.1f} | {r['baseline']:.1f} | {r['ratio']:.2f} |"
              f" {'yes' if r['marks'] else 'no'} | {paper} |")
    slow = [r["task"] for r in rows if r["marks"] and r["rate"] < 50]
    print(f"\ntarget >= 50 examples/s/core for marker tasks: {'met' if not slow else 'NOT met for ' + ', '.join(slow)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
