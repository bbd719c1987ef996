"""The embedded default (config/demo.yaml) run through profiles/slurm on the test cluster.

By default the demo is trimmed to its first three tasks and one seed (17 Slurm jobs, a
few minutes): the whole demo is 83 Slurm jobs, and with two emulated GPUs plus the Slurm
executor's status-check back-off it takes far longer than the rest of the suite. Set
TASKTRANSFER_SLURM_FULL_DEMO=1 to run all of it. Every job except the local rules goes
through sbatch. The cluster-specific user
settings of the profile are overridden the way a user would for this cluster (partition,
no accounts, squeue as status command, the GPU type); everything else — resources per
rule, retries, requeue, logs — is the shipped profile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
GPU_RULES = {"train_lora", "eval_base", "eval_checkpoint"}
# Rules that must run on the login node: downloads and writers of raw fixtures.
LOCAL_RULES = {"all", "fetch_model", "raw_dataset", "blink_fixtures"}
TARGETS = ("all", "results/provenance/manifest.json")
TRIM_TASKS, TRIM_SEEDS = 3, [0]


def demo_config() -> dict:
    """config/demo.yaml, trimmed unless TASKTRANSFER_SLURM_FULL_DEMO=1."""
    config = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
    if os.environ.get("TASKTRANSFER_SLURM_FULL_DEMO") != "1":
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
        "resources": ["gpu=2"],
        "latency-wait": 5,
    })
    return profile


def _job_records(cluster) -> list[dict[str, str]]:
    """Every job slurmctld still remembers (MinJobAge keeps finished ones for 10 min)."""
    out = cluster.run("scontrol", "show", "job", "--oneliner").stdout
    records = []
    for line in out.splitlines():
        if line.strip() and not line.startswith("No jobs"):
            records.append(dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", line)))
    return records


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    work = tmp_path_factory.mktemp("slurm-run") / "wf"
    work.mkdir()
    for name in ("Snakefile", "workflow", "envs", "config", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    shipped = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    (work / "profiles" / "slurm-test").mkdir()
    (work / "profiles" / "slurm-test" / "profile.yaml").write_text(yaml.safe_dump(local_profile(shipped)))
    (work / "config" / "slurm-test.yaml").write_text(yaml.safe_dump(demo_config(), sort_keys=False))
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", *TARGETS, "--profile", "profiles/slurm-test",
         "--configfile", "config/slurm-test.yaml"],
        cwd=work, env=slurm_cluster.env(OMP_NUM_THREADS="1"), capture_output=True, text=True,
        timeout=3600,
    )
    elapsed = time.monotonic() - started
    print(f"\nembedded default on Slurm: {elapsed:.0f} s")
    assert done.returncode == 0, f"{done.stdout[-5000:]}\n{done.stderr[-5000:]}"
    return work, done.stdout + done.stderr, _job_records(slurm_cluster)


def test_workflow_completes_with_results(slurm_run):
    work, _, _ = slurm_run
    config = yaml.safe_load((work / "config" / "slurm-test.yaml").read_text())
    assert (work / "results" / "eval" / "accuracies.csv").is_file()
    for model in config["models"]:
        assert (work / "results" / "analysis").is_dir()
        for task in config["tasks"]:
            for seed in config["seeds"]:
                ckpt = work / "results" / "checkpoints" / model / task / f"seed{seed}"
                assert (ckpt / "adapter_model.safetensors").is_file()


def test_every_job_went_through_sbatch(slurm_run):
    work, log, records = slurm_run
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+)", log)
    ours = {r["JobId"]: r for r in records if r["WorkDir"] == str(work)}
    assert set(submitted) == set(ours)
    assert all(r["JobState"] == "COMPLETED" for r in ours.values())
    # Snakemake prints "rule X:" for a job it submits and "localrule X:" for one it runs
    # itself; only the downloads/fixture writers (and `all`) may be local.
    remote = re.findall(r"^rule (\w+):$", log, re.M)
    local = set(re.findall(r"^localrule (\w+):$", log, re.M))
    assert len(remote) == len(ours)
    rules = sorted(r["Comment"].split("_wildcards_")[0].removeprefix("rule_") for r in ours.values())
    assert rules == sorted(remote)
    assert local <= LOCAL_RULES, f"jobs that did not go through Slurm: {local - LOCAL_RULES}"
    assert {"train_lora", "eval_checkpoint", "eval_base", "analyze", "run_manifest"} <= set(rules)


def test_gpu_rules_requested_gpus_and_others_none(slurm_run):
    work, _, records = slurm_run
    for r in (r for r in records if r["WorkDir"] == str(work)):
        rule = r["Comment"].split("_wildcards_")[0].removeprefix("rule_")
        gres = r.get("TresPerJob", "")
        if rule in GPU_RULES:
            assert gres == "gres:gpu:emu:1", (rule, r["JobId"], gres)
            assert r["Partition"] == "debug"
        else:
            assert "gpu" not in gres, (rule, r["JobId"], gres)
        # runtime with units from the profile: e.g. train_lora 12h on the first attempt
        if rule == "train_lora":
            assert r["TimeLimit"] == "12:00:00"


def test_manifest_records_slurm_jobs_and_gpu_hours(slurm_run):
    work, _, records = slurm_run
    import json

    manifest = json.loads((work / "results" / "provenance" / "manifest.json").read_text())
    ours = {r["JobId"] for r in records if r["WorkDir"] == str(work)}
    assert set(manifest["slurm_job_ids"]) <= ours
    gpu_jobs = [j for j in manifest["jobs"] if j["rule"] in GPU_RULES]
    assert gpu_jobs and all(len(j["slurm_job_ids"]) == 1 for j in gpu_jobs)
    assert all(j["gpu_hours"] > 0 for j in gpu_jobs)
