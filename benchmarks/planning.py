"""Planning speed: dry run of the paper grid vs trivial Snakefiles with the same jobs.

    .venv/bin/python benchmarks/planning.py [--repeats 5]

All dry runs use profiles/slurm (so the Slurm executor plugin is loaded, as users have
it) in temporary copies. Two trivial Snakefiles, each with one rule per rule of the paper
grid's plan (same names, so the profile's per-rule resources apply alike) and the same
jobs per rule, one output file per job, `touch` as the command, no config, no library:

* same DAG (the baseline of the goal): every job depends on the same upstream jobs as in
  the paper grid's DAG (read from `snakemake -n --d3dag`), one input file per dependency.
  Planning cost grows with the dependency edges (about 8 per job in the paper grid), so
  this baseline has the grid's shape and the ratio isolates what the workflow adds on top: config
  validation, library imports, input/params functions, resources from the config, the
  log/benchmark/extra output files of each job.
* chain (the earlier baseline, kept for comparison): job i of a rule depends on job
  i mod n of the rule before it (about 2 edges per job with rule all's), so it has a
  quarter of the grid's edges and the ratio also counts Snakemake's cost of the grid's real edges.

Goal: paper grid < 5 s and <= 1.5 x the same-DAG trivial Snakefile. Also times
`tasktransfer plan`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/slurm"]
DRY_RUN = SNAKEMAKE + ["--quiet", "rules"]


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


def _paper_dag(paper: Path) -> tuple[dict[str, list[list[str]]], int]:
    """Per rule, per job (in job-id order), the output files of the trivial copies of the
    jobs it depends on; and the number of dependency edges."""
    _, output = _timed(SNAKEMAKE + ["--d3dag"], paper)
    try:
        dag = json.loads(output[output.index("{"):output.rindex("}") + 1])
    except ValueError as exc:
        raise SystemExit(f"could not read the --d3dag JSON of the paper grid: {exc}\n{output[:2000]}")
    name: dict[int, str] = {}
    per_rule: dict[str, int] = defaultdict(int)
    for node in sorted(dag["nodes"], key=lambda n: n["id"]):
        rule = node["value"]["rule"]
        name[node["id"]] = f"out/{rule}/{per_rule[rule]}.txt"
        per_rule[rule] += 1
    upstream: dict[int, list[str]] = defaultdict(list)
    for edge in dag["edges"]:  # u -> v: job v needs job u
        upstream[edge["v"]].append(name[edge["u"]])
    inputs: dict[str, list[list[str]]] = defaultdict(list)
    for node in sorted(dag["nodes"], key=lambda n: n["id"]):
        inputs[node["value"]["rule"]].append(sorted(upstream[node["id"]]))
    return dict(inputs), len(dag["edges"])


def _same_dag_snakefile(inputs: dict[str, list[list[str]]]) -> str:
    """The paper grid's job-level DAG with trivial rules: job i of rule r is
    out/r/i.txt and needs one file per job it depends on (looked up, one function call)."""
    lines = [f"DEPS = {json.dumps({r: jobs for r, jobs in inputs.items() if r != 'all'})}", ""]
    lines += ["rule all:", "    input:", f"        {json.dumps(inputs['all'][0])},"]
    for rule, jobs in inputs.items():
        if rule == "all":
            continue
        lines += ["", f"rule {rule}:"]
        if any(jobs):
            lines += ["    input:", f'        lambda w: DEPS["{rule}"][int(w.i)],']
        lines += ["    output:", f'        "out/{rule}/{{i}}.txt",', "    shell:", '        "touch {output}"']
    return "\n".join(lines) + "\n"


def _chain_snakefile(stats: dict[str, int]) -> str:
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


def _trivial_dir(tmp: Path, name: str, snakefile: str, stats: dict[str, int]) -> Path:
    """A folder with ``snakefile`` and the profile; checks it plans the paper grid's jobs."""
    folder = tmp / name
    folder.mkdir()
    shutil.copytree(ROOT / "profiles", folder / "profiles")
    (folder / "Snakefile").write_text(snakefile)
    _, output = _timed(DRY_RUN, folder)  # warm-up, and the job counts per rule
    if _job_stats(output) != stats:
        raise SystemExit(f"trivial Snakefile ({name}) plans {_job_stats(output)}, the paper grid {stats}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    arms = ("paper", "same_dag", "chain", "plan")
    times: dict[str, list[float]] = {k: [] for k in arms}
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    with tempfile.TemporaryDirectory(prefix="tt-planning-") as tmp:
        paper = Path(tmp) / "paper"
        paper.mkdir()
        for name in ("Snakefile", "workflow", "config", "profiles", "envs"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, paper / name)
        _, output = _timed(DRY_RUN, paper)  # warm-up (bytecode, source cache)
        stats = _job_stats(output)
        inputs, n_edges = _paper_dag(paper)
        if {r: len(jobs) for r, jobs in inputs.items()} != stats:
            raise SystemExit("the --d3dag jobs differ from the dry run's job stats")
        dirs = {
            "paper": paper,
            "same_dag": _trivial_dir(Path(tmp), "same_dag", _same_dag_snakefile(inputs), stats),
            "chain": _trivial_dir(Path(tmp), "chain", _chain_snakefile(stats), stats),
        }
        plan = [sys.executable, "-m", "tasktransfer.cli", "plan", "--config", "config/config.yaml"]
        for _ in range(args.repeats):  # interleaved, so load changes hit every arm alike
            for arm, folder in dirs.items():
                times[arm].append(_timed(DRY_RUN, folder, cpu[arm])[0])
            times["plan"].append(_timed(plan, paper, cpu["plan"])[0])

    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    counts = [n for r, n in stats.items() if r != "all"]
    chain_edges = sum(counts) + sum(counts[1:])  # rule all -> every job, plus the chain
    slurm = "installed" if shutil.which("sinfo") else "not installed"
    print(f"jobs planned: {sum(stats.values())} ({', '.join(f'{r} {n}' for r, n in stats.items())})")
    print(f"dependency edges: paper grid and same-DAG trivial {n_edges}, chain trivial {chain_edges}")
    print(f"slurm executor plugin loaded via profiles/slurm; Slurm client {slurm}")
    print(f"median of {args.repeats} wall (s): paper grid dry run {med['paper']:.2f}, trivial same DAG "
          f"{med['same_dag']:.2f}, trivial chain {med['chain']:.2f}, tasktransfer plan {med['plan']:.2f}")
    print(f"median CPU (s): paper {med_cpu['paper']:.2f}, same DAG {med_cpu['same_dag']:.2f}, "
          f"chain {med_cpu['chain']:.2f}, plan {med_cpu['plan']:.2f}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for base in ("same_dag", "chain"):
        print(f"ratio paper/{base}: wall {med['paper'] / med[base]:.2f}, CPU {med_cpu['paper'] / med_cpu[base]:.2f}")
    ratio = med["paper"] / med["same_dag"]
    print(f"goal: paper < 5 s: {'met' if med['paper'] < 5 else 'NOT met'}; "
          f"<= 1.5 x trivial (same DAG, wall): {'met' if ratio <= 1.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
