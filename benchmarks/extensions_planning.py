"""Planning cost of the extension studies: paper-grid dry run with vs without `extensions:`.

    .venv/bin/python benchmarks/extensions_planning.py [--repeats 3]

Both arms dry-run the same Snakefile on config/config.yaml; the second adds the paper's
extension settings (7B model, targets Jigsaw and Object_Localization, k = 3, three random
draws; VisATB on all tasks with 1/32 mini subsets), which adds the preparation, multi-task,
checkpoint and report jobs. Wall time and child CPU time (user + sys, steadier on a shared
machine) are interleaved medians. Goal: the extensions add <= 20 % CPU time to planning.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = {
    "selection": {"model": "Qwen2.5-VL-7B", "targets": ["Jigsaw", "Object_Localization"], "k": 3, "n_random": 3},
    "balance": {"model": "Qwen2.5-VL-7B"},
}
TARGETS = [
    "results/extensions/Qwen2.5-VL-7B/selection/selection.csv",
    "results/extensions/Qwen2.5-VL-7B/balance/balance_summary.csv",
]


def _dry_run(config: Path, workdir: Path, targets: list[str]) -> tuple[float, float, int]:
    cmd = [sys.executable, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "--configfile", str(config),
           "--quiet", "rules", *(["--", *targets] if targets else [])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    out = done.stdout + done.stderr
    jobs = int(out.split("Job stats:")[1].split("total")[1].split()[0])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tt-ext-planning-") as tmp:
        base_cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
        arms = {}
        for name, ext in (("grid", None), ("grid+extensions", EXTENSIONS)):
            work = Path(tmp) / name.replace("+", "_")
            work.mkdir()
            cfg = dict(base_cfg, **({"extensions": ext} if ext else {}))
            (work / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
            arms[name] = (work, TARGETS if ext else [])
        for work, targets in arms.values():  # warm-up: bytecode and source caches
            _dry_run(work / "config.yaml", work, targets)
        results = {name: [] for name in arms}
        for _ in range(args.repeats):
            for name, (work, targets) in arms.items():
                results[name].append(_dry_run(work / "config.yaml", work, targets))
    med = {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs), rs[0][2])
           for name, rs in results.items()}
    for name, (wall, cpu, jobs) in med.items():
        print(f"{name:16s} jobs {jobs:4d}  wall {wall:6.2f} s  cpu {cpu:6.2f} s  (median of {args.repeats})")
    ratio = med["grid+extensions"][1] / med["grid"][1]
    print(f"cpu ratio extensions/grid: {ratio:.2f}  (goal <= 1.20: {'met' if ratio <= 1.2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
