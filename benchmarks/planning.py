"""Planning speed: dry run of the paper grid vs a trivial Snakefile with the same jobs.

    .venv/bin/python benchmarks/planning.py [--repeats 3]

Both dry runs use profiles/slurm (so the Slurm executor plugin is loaded, as users have
it) in temporary copies; the trivial Snakefile has one rule per rule of the paper grid's
plan with the same job count, chained one input per job, so the ratio isolates what this
workflow adds (config validation, library imports, input functions) over Snakemake's own
cost.
Goal: paper grid < 5 s and <= 1.5 x the trivial Snakefile. Also times `tasktransfer plan`.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DRY_RUN = [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm", "--quiet", "rules"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], cwd: Path, cpu: list[float] | None = None) -> tuple[float, str]:
    """Wall seconds (and, into ``cpu``, CPU seconds: less sensitive to a loaded machine)."""
    cpu_before, started = _cpu(), time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(_cpu() - cpu_before)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout + done.stderr


def _job_stats(output: str) -> dict[str, int]:
    table = output.split("Job stats:")[1]
    return {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", table, re.M) if rule != "total"}


def _trivial_snakefile(stats: dict[str, int]) -> str:
    """The same rules and job counts as a chain: job i of a rule needs job i mod n of the
    rule before it (one edge per job; the real DAG has more), no config, no functions."""
    rules = [(r, n) for r, n in stats.items() if r != "all"]
    lines = ["rule all:", "    input:"]
    lines += [f'        expand("out/{rule}/{{i}}.txt", i=range({n})),' for rule, n in rules]
    for k, (rule, n) in enumerate(rules):
        lines += ["", f"rule {rule}:"]
        if k:
            prev, prev_n = rules[k - 1]
            lines += ["    input:", f'        lambda w: "out/{prev}/%d.txt" % (int(w.i) % {prev_n}),']
        lines += ["    output:", f'        "out/{rule}/{{i}}.txt",', "    shell:", '        "touch {output}"']
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="tt-planning-") as tmp:
        paper, trivial = Path(tmp) / "paper", Path(tmp) / "trivial"
        paper.mkdir()
        for name in ("Snakefile", "workflow", "config", "profiles", "envs"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, paper / name)
        _, output = _timed(DRY_RUN, paper)  # warm-up (bytecode, source cache)
        stats = _job_stats(output)
        trivial.mkdir()
        shutil.copytree(ROOT / "profiles", trivial / "profiles")
        (trivial / "Snakefile").write_text(_trivial_snakefile(stats))
        _, trivial_output = _timed(DRY_RUN, trivial)
        assert sum(_job_stats(trivial_output).values()) == sum(stats.values())

        times = {"paper": [], "trivial": [], "plan": []}
        cpu = {"paper": [], "trivial": [], "plan": []}
        plan = [sys.executable, "-m", "tasktransfer.cli", "plan", "--config", "config/config.yaml"]
        for _ in range(args.repeats):  # interleaved, so load changes hit both alike
            times["paper"].append(_timed(DRY_RUN, paper, cpu["paper"])[0])
            times["trivial"].append(_timed(DRY_RUN, trivial, cpu["trivial"])[0])
            times["plan"].append(_timed(plan, paper, cpu["plan"])[0])

    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    ratio = med["paper"] / med["trivial"]
    slurm = "installed" if shutil.which("sinfo") else "not installed"
    print(f"jobs planned: {sum(stats.values())} ({', '.join(f'{r} {n}' for r, n in stats.items())})")
    print(f"slurm executor plugin loaded via profiles/slurm; Slurm client {slurm}")
    print(f"median of {args.repeats} (s): paper grid dry run {med['paper']:.2f}, trivial Snakefile "
          f"{med['trivial']:.2f}, tasktransfer plan {med['plan']:.2f}")
    print(f"median CPU seconds: paper {med_cpu['paper']:.2f}, trivial {med_cpu['trivial']:.2f}, "
          f"plan {med_cpu['plan']:.2f} (ratio {med_cpu['paper'] / med_cpu['trivial']:.2f}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"ratio paper/trivial: {ratio:.2f}  (goal: paper < 5 s: {'met' if med['paper'] < 5 else 'NOT met'}; "
          f"ratio <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
