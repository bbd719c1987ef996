"""Throughput of the part-2 builders (image-level tasks) at realistic image sizes.

For each builder: write its raw fixture with enough records, replace every image by a
textured one at the source dataset's typical size and format (COCO/VG photos 640x480
JPEG, NIGHTS 512x512 PNG, NYT pictures 600x400 JPEG, WikiArt 416x416 JPEG, SDXL
renderings 1024x1024 JPEG), then time one single-process build (= one core) in CPU
seconds (the dev machine is shared, so wall time overstates the cost; both are printed).
Baseline measured in the same run: reading and fully decoding the same image files once
(the least any builder must do); the ratio shows the builder's overhead. Extrapolation:
paper-size build time on 16 cores = paper examples / (16 x examples/s/core).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/data_part2.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from tasktransfer.data.build import build_split
from tasktransfer.data.fixtures import coco_forensic, nights, tallyqa, tara, vsr, wikiart

# task -> (fixture writer with realistic record count, dataset dir, image size, paper examples, split)
CASES = {
    "Counting": (lambda r, n: tallyqa.write(r, 0, n_train=n), "tallyqa", (640, 480), 250_000, "train"),
    "Visual_Similarity": (lambda r, n: nights.write(r, 0, n_rows=n), "nights", (512, 512), 15_914, "train"),
    "Jigsaw": (lambda r, n: tara.write(r, 0, n_train=n), "tara", (600, 400), 11_837, "train"),
    "Art_Style": (lambda r, n: wikiart.write(r, 0, per_style=max(2, n // 6), size=416), "wikiart", None, 100_000, "train"),
    "Spatial_Relation": (lambda r, n: vsr.write(r, 0, n_train=n), "vsr", (640, 480), 7_000, "train"),
    "Forensic_Detection": (lambda r, n: coco_forensic.write(r, 0, n_images=n), "coco", (640, 480), 60_518, "train"),
}
GENERATED_SIZE = (1024, 1024)


def texturize(root: Path, size: tuple[int, int] | None, seed: int = 0) -> list[Path]:
    """Re-save every decodable image under ``root`` at ``size`` with photo-like texture."""
    rng = np.random.default_rng(seed)
    files = []
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".png") or size is None:
            continue
        try:
            with Image.open(path) as im:
                im.load()
                fmt = im.format
                target = GENERATED_SIZE if "generated" in path.parts else size
                big = np.asarray(im.convert("RGB").resize(target, Image.Resampling.BILINEAR), dtype=np.int16)
        except OSError:
            continue  # the fixture's deliberately corrupt files stay corrupt
        noisy = np.clip(big + rng.normal(0, 12, big.shape), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noisy).save(buf, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        path.write_bytes(buf.getvalue())
        files.append(path)
    return files


def decode_baseline(blobs: list[bytes]) -> float:
    """Images per CPU second for fully decoding the encoded images ``blobs`` once."""
    start = time.process_time()
    for b in blobs:
        with Image.open(io.BytesIO(b)) as im:
            im.load()
    return len(blobs) / (time.process_time() - start)


def parquet_images(root: Path) -> list[bytes]:
    """Encoded images stored inside hub-layout Parquet files (WikiArt)."""
    import pyarrow.parquet as pq

    blobs = [img["bytes"] for f in sorted(root.rglob("train-*.parquet"))
             for img in pq.read_table(f, columns=["image"]).column("image").to_pylist() if img and img["bytes"]]
    return [b for b in blobs if b[:2] == b"\xff\xd8"]  # JPEGs only: skip the fixture's deliberately bad row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=300, help="records per task (default %(default)s)")
    ap.add_argument("--cores", type=int, default=16)
    ap.add_argument("--tasks", nargs="+", default=list(CASES), choices=list(CASES))
    args = ap.parse_args(argv)
    print("task\texamples\twall s\tcpu s\texamples/s/core\tdecode-only images/s\timages/example\tratio_vs_decode"
          "\tpaper examples\tpaper minutes on %d cores" % args.cores)
    total_min = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for task in args.tasks:
            write, ddir, size, paper, split = CASES[task]
            root = Path(tmp) / ddir
            root.mkdir()
            write(root, args.records)
            files = texturize(root, size)
            # baseline input: the same encoded images (WikiArt keeps them inside its Parquet files)
            blobs = parquet_images(root) if task == "Art_Style" else [f.read_bytes() for f in files]
            out = Path(tmp) / f"{task}.parquet"
            start, cpu0 = time.perf_counter(), time.process_time()
            card = build_split(task, root, out, split=split, seed=0, progress=None,
                               limit=args.records if task == "Art_Style" else None)
            secs, cpu = time.perf_counter() - start, time.process_time() - cpu0
            rate = card.examples / cpu
            per_ex = (card.images_passed_through + card.images_reencoded) / max(card.examples, 1)
            base = decode_baseline(blobs)
            ratio = (rate * per_ex) / base
            minutes = paper / (args.cores * rate) / 60
            total_min += minutes
            print(f"{task}\t{card.examples}\t{secs:.2f}\t{cpu:.2f}\t{rate:.1f}\t{base:.1f}\t{per_ex:.2f}\t{ratio:.2f}\t{paper}"
                  f"\t{minutes:.1f}", flush=True)
    print(f"tasks above, paper sizes, {args.cores} cores (one after another): {total_min:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
