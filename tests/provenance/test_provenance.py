"""Run manifest pieces: checksums, git state, benchmark and Slurm log parsing, rendering."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tasktransfer.provenance import (
    ChecksumCache,
    JobSpec,
    build_manifest,
    checksum_files,
    config_hash,
    discover_benchmarks,
    git_state,
    job_records,
    read_benchmark,
    render_html,
    slurm_id_key,
    slurm_job_ids,
    summarize,
)

BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(path, seconds):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:{int(seconds):02d}\t100.1\t200\t90\t95\t0\t1\t50\t3.2\n")
    return path


def _slurm_log(logdir, rule, wc_dir, job_id, wildcards: str | None):
    path = logdir / f"rule_{rule}" / wc_dir / f"{job_id}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["Building DAG of jobs...", "", "[Mon Nov 23 10:45:57 2026]", f"rule {rule}:",
             "    output: x", "    jobid: 0"]
    if wildcards:
        lines.append(f"    wildcards: {wildcards}")
    lines += ["    resources: mem_mb=1000, gpu=1", "Shell command: None"]
    path.write_text("\n".join(lines) + "\n")


def test_slurm_ids_of_job_groups_and_array_tasks(tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    # A job group's one log announces all of its jobs (with and without wildcards).
    group = logs / "group_data" / "task_Counting" / "31.log"
    group.parent.mkdir(parents=True)
    group.write_text("\n".join([
        "Building DAG of jobs...", "Select jobs to execute...", "",
        "[Mon Nov 23 10:45:57 2026]", "rule build_eval_split:", "    output: e.parquet", "    jobid: 2",
        "    benchmark: results/benchmarks/build_eval_split/Counting.tsv",
        "    wildcards: task=Counting", "    resources: mem_mb=1000", "",
        "[Mon Nov 23 10:45:58 2026]", "rule merge_shards:", "    output: m.parquet", "    jobid: 1",
        "    reason: Missing output files", "    wildcards: task=Counting, split=train", "",
        "rule hash_index:", "    output: h.json", "    jobid: 3", "",
        "Finished jobid: 2 (Rule: build_eval_split)", "3 of 3 steps (100%) done", ""]))
    # Array tasks are logged as <array id>_<task>.log beside the rule's folder.
    for task, seed in ((10, 1), (2, 0)):
        _slurm_log(logs, "train_lora", "", f"100_{task}", f"task=Counting, seed={seed}")
    _slurm_log(logs, "train_lora", "", "99", "task=Counting, seed=1")
    (logs / "rule_train_lora" / "notes.log").write_text("rule train_lora:\n")  # not a Slurm log name
    ids = slurm_job_ids(logs)
    assert ids == {
        ("build_eval_split", (("task", "Counting"),)): ["31"],
        ("merge_shards", (("split", "train"), ("task", "Counting"))): ["31"],
        ("hash_index", ()): ["31"],
        ("train_lora", (("seed", "1"), ("task", "Counting"))): ["99", "100_10"],
        ("train_lora", (("seed", "0"), ("task", "Counting"))): ["100_2"],
    }
    assert sorted(["100_10", "100_2", "99", "7"], key=slurm_id_key) == ["7", "99", "100_2", "100_10"]
    # A job the manifest knows only from its benchmark file (found as the workflow's manifest
    # rule does, relative to the working directory) is matched by that path.
    monkeypatch.chdir(tmp_path)
    for task in ("Counting", "Jigsaw"):
        _bench(Path("results/benchmarks/build_eval_split") / f"{task}.tsv", 3)
    found = discover_benchmarks("results/benchmarks")
    assert [j.wildcards for j in found] == [(("job", "Counting"),), (("job", "Jigsaw"),)]
    assert [r["slurm_job_ids"] for r in job_records(found, logs)] == [["31"], []]


def test_config_hash_ignores_key_order_but_not_values():
    a = {"seeds": [0, 1], "tasks": {"Counting": {"lr": 1e-4}}}
    b = {"tasks": {"Counting": {"lr": 1e-4}}, "seeds": [0, 1]}
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "seeds": [0, 2]})


def test_checksum_cache_reuses_until_size_or_mtime_change(tmp_path):
    f = tmp_path / "raw" / "a.bin"
    f.parent.mkdir()
    f.write_bytes(b"abc")
    cache_file = tmp_path / "cache.json"
    cache = ChecksumCache(cache_file)
    first = cache.sha256(f)
    cache.save()
    st = f.stat()
    f.write_bytes(b"xyz")  # same size; restore the mtime: the cache must answer
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert ChecksumCache(cache_file).sha256(f) == first
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert ChecksumCache(cache_file).sha256(f) != first


def test_checksum_files_walks_directories_relative_and_skips_hidden(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "x.parquet").write_bytes(b"1")
    (tmp_path / "d" / ".x.parquet.tmp").write_bytes(b"partial")
    out = checksum_files([tmp_path / "d"], relative_to=tmp_path)
    assert list(out) == ["d/sub/x.parquet"]
    assert out["d/sub/x.parquet"]["bytes"] == 1


def test_git_state_clean_dirty_and_outside(tmp_path):
    assert git_state(tmp_path)["commit"] is None
    run = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)
    run("init", "-q")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x")
    (tmp_path / "f.py").write_text("1")
    run("add", "f.py")
    run("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "f")
    clean = git_state(tmp_path)
    assert len(clean["commit"]) == 40 and clean["dirty"] is False
    (tmp_path / "f.py").write_text("2")
    assert git_state(tmp_path)["dirty_files"] == ["f.py"]


def test_read_benchmark_and_bad_file(tmp_path):
    assert read_benchmark(_bench(tmp_path / "b.tsv", 12.5))["s"] == 12.5
    bad = tmp_path / "bad.tsv"
    bad.write_text("not\ta benchmark\n")
    with pytest.raises(ValueError, match="bad.tsv: not a Snakemake benchmark file"):
        read_benchmark(bad)


def test_slurm_ids_match_jobs_by_logged_wildcards(tmp_path):
    logs = tmp_path / "logs"
    # Underscores in task names make the directory name ambiguous; the header is not.
    _slurm_log(logs, "train_lora", "tiny_Visual_Similarity_0", 7, "model=tiny, task=Visual_Similarity, seed=0")
    _slurm_log(logs, "train_lora", "tiny_Visual_Similarity_0", 12, "model=tiny, task=Visual_Similarity, seed=0")
    _slurm_log(logs, "collect_accuracies", "", 20, None)
    ids = slurm_job_ids(logs)
    key = ("train_lora", (("model", "tiny"), ("seed", "0"), ("task", "Visual_Similarity")))
    assert ids[key] == ["7", "12"]
    assert ids[("collect_accuracies", ())] == ["20"]

    jobs = [
        {"rule": "train_lora", "wildcards": {"model": "tiny", "task": "Visual_Similarity", "seed": 0},
         "benchmark": str(_bench(tmp_path / "b" / "t.tsv", 1800)), "gpus": 2},
        {"rule": "train_lora", "wildcards": {"model": "tiny", "task": "Counting", "seed": 0},
         "benchmark": str(tmp_path / "missing.tsv"), "gpus": 2},
        JobSpec("collect_accuracies", (), str(_bench(tmp_path / "b" / "c.tsv", 36))),
    ]
    records = job_records(jobs, logs)
    assert [r["gpu_hours"] for r in records] == [1.0, None, 0.0]
    assert records[0]["slurm_job_ids"] == ["7", "12"] and records[1]["slurm_job_ids"] == []
    assert summarize(records) == [
        {"rule": "collect_accuracies", "jobs": 1, "timed": 1, "hours": 0.01, "gpu_hours": 0.0},
        {"rule": "train_lora", "jobs": 2, "timed": 1, "hours": 0.5, "gpu_hours": 1.0},
    ]


def test_manifest_is_json_and_renders(tmp_path):
    split = tmp_path / "results" / "data" / "train" / "Counting.parquet"
    split.parent.mkdir(parents=True)
    split.write_bytes(b"PAR1")
    config = {"seeds": [0, 1], "data": {"seed": 3}, "models": {"tiny": {"path": "tiny", "tiny_seed": 5}},
              "note": "<script>"}
    m = build_manifest(config, repo_root=tmp_path, splits=[tmp_path / "results" / "data"])
    assert json.loads(json.dumps(m))["seeds"] == {"training": [0, 1], "data": 3, "models": {"tiny": 5}}
    assert list(m["splits"]) == ["results/data/train/Counting.parquet"]
    assert m["packages"]["snakemake"] is not None
    page = render_html(m)
    assert "results/data/train/Counting.parquet" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_workflow_lists_follow_the_config(tmp_path):
    from pathlib import Path

    from tasktransfer.config import load_config
    from tasktransfer.provenance.workflow import (
        manifest_adapters,
        manifest_jobs,
        manifest_splits,
        raw_input_dirs,
    )

    root = Path(__file__).resolve().parents[2]
    demo = load_config(root / "tests" / "workflow_rerun" / "rerun.yaml")  # generated data
    jobs = manifest_jobs(demo)
    n = len(demo["tasks"]) * len(demo["seeds"])
    assert len(jobs) == 1 + 2 * n
    assert jobs[1] == {
        "rule": "train_lora",
        "wildcards": {"model": "tiny", "task": "Counting", "seed": "0"},
        "benchmark": "results/benchmarks/train_lora/tiny/Counting/seed0.tsv",
        "gpus": 1,
    }
    assert len(manifest_adapters(demo)) == n
    assert len(manifest_splits(demo)) == len(demo["tasks"]) + len(demo["evaluation"]["tasks"])
    assert raw_input_dirs(demo) == []
    raw = {"data": {"mode": "raw", "raw_root": str(tmp_path), "blink": "BLINK-Benchmark/BLINK"}}
    assert raw_input_dirs(raw) == [str(tmp_path)]  # a hub id is not a local input
    # fixtures are written during the run: the root is an input even before it exists, so
    # the manifest's params are the same in the first and the second run
    fixtures = {"data": {"mode": "raw", "raw_root": str(tmp_path / "later"), "fixtures": True}}
    assert raw_input_dirs(fixtures) == [str(tmp_path / "later")]


def test_render_says_when_code_state_is_unknown(tmp_path):
    page = render_html(build_manifest({"seeds": [0]}, repo_root=tmp_path))
    assert "unknown: not run from a git checkout" in page and "<td>unknown</td>" in page


def test_workflow_lists_follow_shared_evaluation_mode():
    from tasktransfer.provenance.workflow import manifest_jobs

    config = {"models": {"m": {"train_gpus": 2, "eval_gpus": 1}}, "tasks": {"A": {}, "B": {}},
              "seeds": [0], "evaluation": {"mode": "shared"}}
    assert [(j["rule"], j["gpus"]) for j in manifest_jobs(config)] == [
        ("eval_model_shared", 1), ("train_lora", 2), ("train_lora", 2)]


def test_workflow_lists_add_a_parity_job_per_model():
    from tasktransfer.provenance.workflow import manifest_benchmarks, manifest_jobs

    config = {"models": {"m": {"train_gpus": 2, "eval_gpus": 1}}, "tasks": {"A": {}}, "seeds": [0],
              "evaluation": {"parity": True}}
    assert [(j["rule"], j["gpus"]) for j in manifest_jobs(config)] == [
        ("eval_base", 1), ("eval_parity", 1), ("train_lora", 2), ("eval_checkpoint", 1)]
    assert "results/benchmarks/eval_parity/m.tsv" in manifest_benchmarks(config)
    config["evaluation"]["parity"] = False
    assert "eval_parity" not in {j["rule"] for j in manifest_jobs(config)}


def test_discovered_extension_jobs_count_their_gpus(tmp_path):
    from tasktransfer.provenance import discover_benchmarks
    from tasktransfer.provenance.workflow import extension_gpus

    bench = tmp_path / "benchmarks"
    for rel in ("ext_train_mixture/m7/balance/mini__Jigsaw/seed0.tsv", "ext_eval_mixture/m7/balance/mini__Jigsaw/seed0.tsv",
                "build_train_shard/Counting/0.tsv"):
        (bench / rel).parent.mkdir(parents=True, exist_ok=True)
        (bench / rel).write_text("s\th:m:s\n1.0\t0:00:01\n")
    gpus = extension_gpus({"models": {"m7": {"train_gpus": 2, "eval_gpus": 1}}})
    found = {spec.rule: spec.gpus for spec in discover_benchmarks(bench, gpus=gpus)}
    assert found == {"ext_train_mixture": 2, "ext_eval_mixture": 1, "build_train_shard": 0}
