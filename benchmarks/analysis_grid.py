"""The analysis of the full paper grid, timed against a plain-numpy baseline in the same run.

Grid: 3 models x (base + 13 sources x 4 seeds) x 13 targets, per-question correctness
for BLINK's validation sizes (1,751 questions x 159 evaluations = 278k rows), synthetic
with planted transfer (``tasktransfer.analysis.synthetic``). Timed:

* analysis: ``pipeline.run`` end to end with figures off: read and validate both
  tables, exact PGF per seed and its summary, transferability, malleability, cliques,
  knife-edge report, Wilcoxon column, per-cell McNemar tests with BY correction and
  1,000-resample bootstrap CIs over questions, significant-only cliques/personas,
  personas, categories, trends, every CSV/JSON written atomically (goal < 10 s);
* baseline: what a plain script does for the PGF part only: numpy arrays of float
  accuracies, per-seed PGF, float seed mean, eq. 1 per source (no validation, no exact
  zeros, no statistics);
* figures: the same run with figures on, reported separately (not part of the goal).

    .venv/bin/python benchmarks/analysis_grid.py [--repeats 3] [--figures]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from tasktransfer.analysis.pipeline import run
from tasktransfer.analysis.synthetic import make_study
from tasktransfer.tasks import TASKS

MODELS = ["Qwen2.5-VL-3B", "Qwen2.5-VL-7B", "Qwen2.5-VL-32B"]
SEEDS = [0, 1, 2, 3]


def baseline(acc: pl.DataFrame) -> float:
    """Plain numpy: float PGF per seed, float mean, eq. 1 per source; returns a checksum."""
    tasks = list(TASKS)
    ti = {t: i for i, t in enumerate(tasks)}
    total = 0.0
    for model in MODELS:
        sub = acc.filter(pl.col("model") == model)
        base = np.zeros(len(tasks))
        ft = np.zeros((len(SEEDS), len(tasks), len(tasks)))
        for source, seed, target, k, m in sub.select("source", "seed", "target", "n_correct", "n_total").iter_rows():
            if source == "base":
                base[ti[target]] = k / m
            else:
                ft[int(seed), ti[source], ti[target]] = k / m
        pgf = (ft - base[None, None, :]) / (1.0 - base[None, None, :] + 1e-8)
        mean = pgf.mean(axis=0)
        n = len(tasks)
        for i in range(n):
            row = np.delete(mean[i], i)
            pos = row[row > 0]
            if pos.size:
                total += (1 - math.exp(-pos.size / n)) / pos.size * pos.sum()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats; the best is reported")
    parser.add_argument("--figures", action="store_true", help="also time one run with every figure drawn")
    args = parser.parse_args()

    sizes = {t: spec.val_size for t, spec in TASKS.items()}
    acc, preds = make_study(MODELS, list(TASKS), SEEDS, sizes, seed=0)
    evaluations = acc.select("model", "source", "seed").unique().height
    print(f"grid: {len(MODELS)} models x {len(SEEDS)} seeds x {len(TASKS) ** 2} cells; "
          f"{sum(sizes.values())} questions x {evaluations} evaluations = {preds.height} prediction rows")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        acc.write_csv(root / "accuracies.csv")
        preds.write_parquet(root / "predictions.parquet")
        base_times, run_times = [], []
        for k in range(args.repeats):
            t0 = time.perf_counter()
            baseline(pl.read_csv(root / "accuracies.csv", schema_overrides={"seed": pl.String}))
            base_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run(root / "accuracies.csv", root / f"out{k}", {"figures": False}, predictions=root / "predictions.parquet")
            run_times.append(time.perf_counter() - t0)
        best_base, best_run = min(base_times), min(run_times)
        print(f"baseline (numpy PGF + eq. 1 only): {best_base:.3f} s  (runs: {', '.join(f'{t:.3f}' for t in base_times)})")
        print(f"analysis (pipeline.run, no figures): {best_run:.2f} s  (runs: {', '.join(f'{t:.2f}' for t in run_times)})")
        print(f"ratio analysis / baseline: {best_run / best_base:.1f}x; goal < 10 s: {'met' if best_run < 10 else 'NOT met'}")
        if args.figures:
            t0 = time.perf_counter()
            run(root / "accuracies.csv", root / "fig", None, predictions=root / "predictions.parquet")
            n_fig = len(list((root / "fig" / "figures").glob("*.png")))
            print(f"with figures ({n_fig} PNG + {n_fig} PDF): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
