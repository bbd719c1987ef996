"""The embedded default (config/demo.yaml, all but its parity job) through profiles/slurm on the test cluster.

Every job except the local rules (downloads and fixture writers) goes through sbatch. The
cluster-specific user settings of the profile are overridden the way a user would for
this cluster (partition, no accounts, squeue as status command, the GPU type, sizes that
fit the node); resources per rule, retries, requeue and logs are the shipped profile.
Three test-only settings make its ~150 jobs through Slurm fit in CI (docs/cluster.md):

- Snakemake's caps (``jobs``, ``gpu``) are above what the node holds, so Slurm keeps a
  queue and starts the next job the moment one ends; with the caps at the node's size
  every start would wait for the executor's next status check (it backs off by 10 s per
  check that finds nothing finished).
- The four data rules of each task run as one Slurm job (Snakemake job group ``data``):
  every Slurm job starts Snakemake twice (the job step and the job itself), which costs
  more CPU than these jobs' own work. GPU rules stay one Slurm job each, so the check
  that GPU rules and only they request a GPU, and the run manifest's Slurm job id per
  GPU job, see exactly what a user's run does.
- The test cluster lets two jobs share a core (tests/slurm/cluster.sh).

TASKTRANSFER_SLURM_DEMO=trim runs the first three tasks with one seed and no extensions
(a few minutes) for quick local checks; CI runs the whole demo. The run fails with the
tail of its log and the queue when it takes longer than TASKTRANSFER_SLURM_TIMEOUT
seconds (default 1200).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
# Rules that ask for a GPU: a `gpu=` line in their resources (train, eval, extensions).
GPU_RULES = {
    name
    for f in RULE_FILES
    for name, body in re.findall(
        r"^\s*(?:rule|checkpoint) (\w+):(.*?)(?=^\s*(?:rule|checkpoint) \w+:|\Z)", f.read_text(), re.M | re.S
    )
    if re.search(r"^\s+gpu=", body, re.M)
}
# Rules that must run on the login node: downloads and writers of raw fixtures.
LOCAL_RULES = {"all", "fetch_model", "raw_dataset", "blink_fixtures"}
TARGETS = ("all", "results/provenance/manifest.json")
TRIM_TASKS, TRIM_SEEDS = 3, [0]
# Test-only job group: a task's eval split, its hashes, its training shard and the merge.
DATA_GROUP = ("blink_eval_split", "blink_image_hashes", "build_train_shard", "merge_train_shards")
DEFAULT_TIMEOUT_S = 2400  # a guard against a hang, not a speed goal (CI allows 90 min)


def demo_mode() -> str:
    """``full`` (default) or ``trim`` from TASKTRANSFER_SLURM_DEMO; anything else is an error."""
    mode = os.environ.get("TASKTRANSFER_SLURM_DEMO", "full")
    if mode not in {"full", "trim"}:
        raise ValueError(f"TASKTRANSFER_SLURM_DEMO={mode!r}: expected 'full' or 'trim'")
    return mode


def run_timeout() -> int:
    """Seconds the workflow may take (TASKTRANSFER_SLURM_TIMEOUT, a positive integer)."""
    raw = os.environ.get("TASKTRANSFER_SLURM_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(f"TASKTRANSFER_SLURM_TIMEOUT={raw!r}: expected a positive number of seconds")
    return int(raw)


def demo_config(mode: str) -> dict:
    """config/demo.yaml, whole for ``full``; three tasks, one seed, no extensions for ``trim``.

    Either way without the parity job (``evaluation.parity``): one more GPU job shaped like
    eval_base, run end to end by the planted test (tests/e2e), not worth a Slurm job here.
    """
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    config["evaluation"]["parity"] = False
    if mode == "trim":
        config["tasks"] = dict(list(config["tasks"].items())[:TRIM_TASKS])
        config["seeds"] = TRIM_SEEDS
        config.pop("categories", None)  # they name all 13 tasks
        config.pop("extensions", None)  # its studies name other tasks and add many jobs
    return config


def local_profile(profile: dict, cpus: int = 1, mem_mb: int = 1000) -> dict:
    """The shipped profile with this cluster's user settings and sizes that fit CI."""
    profile = yaml.safe_load(yaml.safe_dump(profile))  # deep copy

    def fit(resources: dict) -> None:
        resources.pop("slurm_account", None)
        if "slurm_partition" in resources:
            resources["slurm_partition"] = "debug"
        if "gpu_model" in resources:
            resources["gpu_model"] = "emu"
        if "cpus_per_task" in resources:
            resources["cpus_per_task"] = min(int(resources["cpus_per_task"]), cpus)
        if "mem_mb" in resources:
            resources["mem_mb"] = min(int(resources["mem_mb"]), mem_mb)

    fit(profile["default-resources"])
    for resources in profile["set-resources"].values():
        fit(resources)
    profile.pop("software-deployment-method", None)  # CI has the venv, not conda
    profile.update({
        "slurm-no-account": True,
        "slurm-status-command": "squeue",  # no accounting database here
        "slurm-init-seconds-before-status-checks": 1,
        "seconds-between-status-checks": 1,  # the first check; the plugin backs off from there
        # Above the node's 2 GPUs and 4 job slots: Slurm queues the rest and starts each
        # as soon as resources free up, without waiting for Snakemake to notice.
        "resources": ["gpu=8"],
        "jobs": 40,
        "groups": [f"{rule}=data" for rule in DATA_GROUP],
        "latency-wait": 5,
    })
    return profile


def _job_records(cluster) -> list[dict[str, str]]:
    """Every job slurmctld still remembers (MinJobAge keeps finished ones for a day)."""
    out = cluster.run("scontrol", "show", "job", "--oneliner").stdout
    records = []
    for line in out.splitlines():
        if line.strip() and not line.startswith("No jobs"):
            records.append(dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", line)))
    return records


_JOB_LINE = re.compile(r"^(\s*)(local)?(?:rule|checkpoint) ([\w-]+):$")


def snakemake_jobs(log: str, local: bool) -> Counter[tuple[str, str]]:
    """``(rule, wildcards)`` of every job a Snakemake log announces.

    Snakemake prints ``rule X:`` (indented inside a group job) for a job it hands to the
    executor and ``localrule X:`` for one it runs itself, each followed by its indented
    details, among them ``wildcards: ...``.
    """
    lines = log.splitlines()
    found: Counter[tuple[str, str]] = Counter()
    for i, line in enumerate(lines):
        m = _JOB_LINE.match(line)
        if not m or bool(m[2]) != local:
            continue
        wildcards = ""
        for detail in lines[i + 1 : i + 40]:
            if not detail.startswith(m[1] + " "):
                break  # end of this job's block
            if detail.strip().startswith("wildcards: "):
                wildcards = detail.strip().removeprefix("wildcards: ")
                break
        found[(m[3], wildcards)] += 1
    return found


def _stop(proc: subprocess.Popen, cluster) -> str:
    """End a Snakemake run that ran out of time (it cancels its Slurm jobs on SIGTERM)."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    queue = cluster.run("squeue", "-h", "-o", "%i %T %j %k").stdout
    ids = [line.split()[0] for line in queue.splitlines() if line.strip()]
    if ids:
        subprocess.run(["scancel", *ids], env=cluster.env(), capture_output=True)
    return f"{out[-5000:]}\nSlurm queue when stopped (id state name comment):\n{queue or '(empty)'}"


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    mode, timeout = demo_mode(), run_timeout()
    work = tmp_path_factory.mktemp("slurm-run") / "wf"
    work.mkdir()
    for name in ("Snakefile", "workflow", "envs", "config", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    shipped = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    (work / "profiles" / "slurm-test").mkdir()
    (work / "profiles" / "slurm-test" / "profile.yaml").write_text(yaml.safe_dump(local_profile(shipped)))
    (work / "config" / "slurm-test.yaml").write_text(yaml.safe_dump(demo_config(mode), sort_keys=False))
    command = [sys.executable, "-m", "snakemake", *TARGETS, "--profile", "profiles/slurm-test",
               "--configfile", "config/slurm-test.yaml"]
    started = time.monotonic()
    proc = subprocess.Popen(
        command, cwd=work, env=slurm_cluster.env(OMP_NUM_THREADS="1"), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        log, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        tail = _stop(proc, slurm_cluster)
        pytest.fail(
            f"the {mode} embedded default did not finish on the Slurm test cluster within "
            f"{timeout} s (TASKTRANSFER_SLURM_TIMEOUT); it was stopped and its jobs cancelled.\n{tail}"
        )
    elapsed = time.monotonic() - started
    print(f"\nembedded default ({mode}) on Slurm: {elapsed:.0f} s")
    assert proc.returncode == 0, log[-10000:]
    (work / "snakemake.log").write_text(log)
    return work, log, _job_records(slurm_cluster), slurm_cluster


def _our_jobs(work: Path, records: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["JobId"]: r for r in records if r["WorkDir"] == str(work)}


def _jobs_inside(record: dict[str, str]) -> Counter[tuple[str, str]]:
    """The Snakemake jobs one Slurm job ran, from its log (the Snakemake inside the job)."""
    return snakemake_jobs(Path(record["StdOut"]).read_text(errors="replace"), local=True)


def test_workflow_completes_with_results(slurm_run):
    work, _, _, cluster = slurm_run
    config = yaml.safe_load((work / "config" / "slurm-test.yaml").read_text())
    assert (work / "results" / "eval" / "accuracies.csv").is_file()
    assert any((work / "results" / "analysis").iterdir())
    assert (work / "results" / "provenance" / "manifest.json").is_file()
    for model in config["models"]:
        assert (work / "results" / "eval" / model / "base" / "accuracy.csv").is_file()
        for task in config["tasks"]:
            for seed in config["seeds"]:
                ckpt = work / "results" / "checkpoints" / model / task / f"seed{seed}"
                assert (ckpt / "adapter_model.safetensors").is_file(), ckpt
                assert (work / "results" / "eval" / model / task / f"seed{seed}" / "accuracy.csv").is_file()
    if config.get("extensions"):
        assert any((work / "results" / "extensions").rglob("adapter_model.safetensors"))
    # Every output of the whole DAG (extension checkpoints included) exists and is current.
    again = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *TARGETS, "--profile", "profiles/slurm-test",
         "--configfile", "config/slurm-test.yaml"],
        cwd=work, env=cluster.env(), capture_output=True, text=True, timeout=600,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Nothing to be done" in again.stdout + again.stderr, (again.stdout + again.stderr)[-3000:]


def test_every_job_went_through_sbatch(slurm_run):
    work, log, records, _ = slurm_run
    submitted = re.findall(r"Job \S+ has been submitted with SLURM jobid (\d+)", log)
    ours = _our_jobs(work, records)
    assert len(submitted) == len(set(submitted)) and set(submitted) == set(ours)
    assert all(r["JobState"] == "COMPLETED" for r in ours.values()), {
        i: r["JobState"] for i, r in ours.items() if r["JobState"] != "COMPLETED"
    }
    # What Snakemake handed to Slurm is exactly what ran inside the Slurm jobs, each once.
    remote = snakemake_jobs(log, local=False)
    inside: Counter[tuple[str, str]] = Counter()
    for record in ours.values():
        jobs = _jobs_inside(record)
        assert jobs, f"Slurm job {record['JobId']} ran no Snakemake job ({record['StdOut']})"
        inside += jobs
    assert inside == remote
    assert max(remote.values()) == 1
    rules = {rule for rule, _ in remote}
    local = {rule for rule, _ in snakemake_jobs(log, local=True)}
    assert local <= LOCAL_RULES, f"jobs that did not go through Slurm: {local - LOCAL_RULES}"
    assert {"train_lora", "eval_checkpoint", "eval_base", "analyze", "run_manifest"} <= rules
    config = yaml.safe_load((work / "config" / "slurm-test.yaml").read_text())
    n_runs = len(config["models"]) * len(config["tasks"]) * len(config["seeds"])
    assert sum(n for (rule, _), n in remote.items() if rule == "train_lora") == n_runs
    if config.get("extensions"):
        assert {"ext_train_mixture", "ext_eval_mixture", "ext_select"} <= rules


def test_gpu_rules_requested_gpus_and_others_none(slurm_run):
    work, _, records, _ = slurm_run
    assert {"train_lora", "eval_base", "eval_checkpoint", "ext_train_mixture", "ext_eval_mixture"} <= GPU_RULES
    seen_gpu = set()
    for r in _our_jobs(work, records).values():
        rules = {rule for rule, _ in _jobs_inside(r)}
        gres = r.get("TresPerJob", "")
        if rules & GPU_RULES:
            assert rules <= GPU_RULES, ("GPU and CPU rules in one Slurm job", r["JobId"], rules)
            assert gres == "gres:gpu:emu:1", (rules, r["JobId"], gres)
            assert r["Partition"] == "debug"
            seen_gpu |= rules
        else:
            assert "gpu" not in gres, (rules, r["JobId"], gres)
        # runtime with units from the profile: e.g. train_lora 12h on the first attempt
        if rules == {"train_lora"}:
            assert r["TimeLimit"] == "12:00:00"
    assert {"train_lora", "eval_base", "eval_checkpoint"} <= seen_gpu


def test_manifest_records_slurm_jobs_and_gpu_hours(slurm_run):
    work, _, records, _ = slurm_run
    manifest = json.loads((work / "results" / "provenance" / "manifest.json").read_text())
    ours = set(_our_jobs(work, records))
    assert set(manifest["slurm_job_ids"]) <= ours
    core_gpu = {"train_lora", "eval_base", "eval_checkpoint"}
    gpu_jobs = [j for j in manifest["jobs"] if j["rule"] in core_gpu]
    assert gpu_jobs and all(len(j["slurm_job_ids"]) == 1 for j in gpu_jobs)
    assert all(j["gpu_hours"] > 0 for j in gpu_jobs)
    # Every other job that ran through Slurm has its id too: the grouped data jobs (one
    # log per group) and the jobs the manifest finds from their benchmark files alone.
    via_slurm = [j for j in manifest["jobs"] if j["seconds"] is not None and j["rule"] not in LOCAL_RULES]
    assert {j["rule"] for j in via_slurm} >= set(DATA_GROUP) | {"train_lora", "analyze"}
    assert [(j["rule"], j["wildcards"]) for j in via_slurm if not j["slurm_job_ids"]] == []
    assert {i for j in via_slurm for i in j["slurm_job_ids"]} == set(manifest["slurm_job_ids"])
