"""`tasktransfer plan`: job enumeration, estimate sources, throughput file, CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tasktransfer.cli import main
from tasktransfer.config import load_config
from tasktransfer.planning import estimate, load_throughput, measured_seconds, planned_jobs, summarize

ROOT = Path(__file__).resolve().parents[2]
BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


# A small generated-data study (also used by the rerun tests): 2 tasks x 2 seeds, 3 eval tasks.
SMALL = ROOT / "tests" / "workflow_rerun" / "rerun.yaml"


@pytest.fixture(scope="module")
def demo():
    return load_config(SMALL)


@pytest.fixture
def throughput_file(tmp_path):
    path = tmp_path / "throughput.yaml"
    path.write_text(yaml.safe_dump({"models": {"tiny": {
        "train_samples_per_gpu_hour": 960, "eval_questions_per_gpu_hour": 3120}}}))
    return path


def _bench(root: Path, rel: str, seconds: float) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BENCH_HEADER + f"{seconds}\t0:00:01\t1\t1\t1\t1\t0\t0\t1\t1\n")


def test_demo_jobs_and_their_work(demo):
    jobs = planned_jobs(demo)
    counts = {r: sum(j.rule == r for j in jobs) for r in ("train_lora", "eval_checkpoint", "eval_base")}
    n = len(demo["tasks"]) * len(demo["seeds"])
    assert counts == {"train_lora": n, "eval_checkpoint": n, "eval_base": len(demo["models"])}
    train = next(j for j in jobs if j.rule == "train_lora")
    gen = demo["data"]["generated"]
    assert train.work == gen["train_examples"] * demo["tasks"][train.task]["epochs"]
    eval_tasks = demo["evaluation"]["tasks"]
    assert next(j for j in jobs if j.rule == "eval_base").work == gen["eval_examples"] * len(eval_tasks)


def test_paper_grid_uses_max_steps_and_blink_val_sizes():
    paper = load_config(ROOT / "config" / "config.yaml")
    jobs = {(j.rule, j.model, j.task): j for j in planned_jobs(paper) if j.seed in (None, 0)}
    art = jobs[("train_lora", "Qwen2.5-VL-7B", "Art_Style")]
    assert art.work == 500 * paper["training"]["global_batch"] and art.gpus == 2
    counting = jobs[("train_lora", "Qwen2.5-VL-7B", "Counting")]
    assert counting.work == 250000 * 1
    # BLINK val has 1,901 questions; without the 150 of IQ Test, 1,751 per evaluation.
    assert jobs[("eval_base", "Qwen2.5-VL-32B", None)].work == 1751


def test_job_counts_match_a_snakemake_dry_run(tmp_path, demo):
    """The planner mirrors the workflow: same GPU job counts as Snakemake plans."""
    for name in ("Snakefile", "workflow", "config"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--configfile", str(SMALL)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", done.stdout, re.M))
    jobs = planned_jobs(demo)
    for rule in ("train_lora", "eval_checkpoint", "eval_base"):
        assert int(stats[rule]) == sum(j.rule == rule for j in jobs), rule
    assert "eval_parity" not in stats and not any(j.rule == "eval_parity" for j in jobs)  # off by default
    parity = {**demo, "evaluation": {**demo["evaluation"], "parity": True}}
    (tmp_path / "parity.yaml").write_text(yaml.safe_dump(parity))
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--quiet", "rules", "--configfile", "parity.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", done.stdout, re.M))
    assert int(stats["eval_parity"]) == sum(j.rule == "eval_parity" for j in planned_jobs(parity)) == 1


def test_estimate_prefers_benchmark_then_learned_then_throughput(tmp_path, demo, throughput_file):
    jobs = planned_jobs(demo)
    a, b = [j for j in jobs if j.rule == "train_lora"][:2]
    _bench(tmp_path, a.benchmark, 7200)  # 2 h for `a` on 1 GPU -> work/2 per GPU-hour
    est = {e.job: e for e in estimate(jobs, load_throughput(throughput_file), measured_seconds(jobs, [tmp_path]))}
    assert (est[a].source, est[a].gpu_hours) == ("benchmark", 2.0)
    assert est[b].source == "learned" and est[b].gpu_hours == pytest.approx(b.work / (a.work / 2))
    base = next(j for j in jobs if j.rule == "eval_base")
    assert est[base].source == "throughput" and est[base].gpu_hours == pytest.approx(base.work / 3120)


def test_results_benchmarks_folder_is_accepted_as_root(tmp_path, demo):
    job = planned_jobs(demo)[0]
    _bench(tmp_path, job.benchmark, 36)
    assert measured_seconds([job], [tmp_path / "results" / "benchmarks"]) == {job: 36.0}


def test_missing_figures_name_the_model(demo):
    with pytest.raises(ValueError, match=r"no throughput figures for model\(s\) \['tiny'\]"):
        estimate(planned_jobs(demo), {})


@pytest.mark.parametrize(
    "text, message",
    [
        ("models: [1]", "expected a `models:` mapping"),
        ("models: {tiny: {train_samples_per_gpu_hour: 0, eval_questions_per_gpu_hour: 1}}",
         r"models.tiny.train_samples_per_gpu_hour must be a positive number, got 0"),
        ("models: {tiny: {train_samples_per_gpu_hour: 5}}", r"eval_questions_per_gpu_hour must be a positive"),
    ],
)
def test_bad_throughput_files(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_throughput(path)


def test_shipped_throughput_covers_the_paper_models():
    figures = load_throughput(ROOT / "profiles" / "slurm" / "throughput.yaml")
    assert set(load_config(ROOT / "config" / "config.yaml")["models"]) <= set(figures)


def test_summary_rows(demo, throughput_file):
    rows = summarize(estimate(planned_jobs(demo), load_throughput(throughput_file)))
    train = rows[0]
    assert (train["rule"], train["jobs"], train["gpus_per_job"], train["sources"]) == ("train_lora", 4, 1, "throughput")
    assert train["gpu_hours"] == pytest.approx(4 * 8 / 960, abs=0.005)  # rounded to 0.01


def test_cli_table_and_errors(capsys, throughput_file):
    assert main(["plan", "--config", str(SMALL), "--throughput", str(throughput_file)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^total\s+9\s+\S+$", out, re.M), out
    assert main(["plan", "--config", str(SMALL), "--throughput", "nope.yaml"]) == 2
    assert "nope.yaml: no throughput file" in capsys.readouterr().err


def test_shared_evaluation_mode_plans_one_eval_job_per_model(demo, throughput_file):
    shared = {**demo, "evaluation": {**demo["evaluation"], "mode": "shared"}}
    jobs = planned_jobs(shared)
    assert {j.rule for j in jobs} == {"train_lora", "eval_model_shared"}
    (ev,) = [j for j in jobs if j.rule == "eval_model_shared"]
    per_checkpoint = planned_jobs(demo)
    assert ev.work == sum(j.work for j in per_checkpoint if j.rule.startswith("eval_"))
    assert ev.benchmark == "results/benchmarks/eval_model_shared/tiny.tsv"
    rows = summarize(estimate(jobs, load_throughput(throughput_file)))
    assert [r["rule"] for r in rows] == ["train_lora", "eval_model_shared"]


def test_generation_jobs_divide_by_the_generation_figure(demo, throughput_file):
    config = {**demo, "evaluation": {**demo["evaluation"], "scoring": "generate", "parity": True}}
    jobs = planned_jobs(config)
    rates = {j.rule: j.rate for j in jobs}
    assert rates == {"train_lora": "train_samples_per_gpu_hour", "eval_base": "generate_questions_per_gpu_hour",
                     "eval_checkpoint": "generate_questions_per_gpu_hour",
                     "eval_parity": "generate_questions_per_gpu_hour"}
    assert {j.rule: j.rate for j in planned_jobs(demo)}["eval_base"] == "eval_questions_per_gpu_hour"
    with pytest.raises(ValueError, match=r"lacks models.tiny.generate_questions_per_gpu_hour"):
        estimate(jobs, load_throughput(throughput_file))
    figures = yaml.safe_load(throughput_file.read_text())
    figures["models"]["tiny"]["generate_questions_per_gpu_hour"] = 520
    throughput_file.write_text(yaml.safe_dump(figures))
    est = {e.job: e for e in estimate(jobs, load_throughput(throughput_file))}
    parity = next(j for j in jobs if j.rule == "eval_parity")
    assert est[parity].gpu_hours == pytest.approx(parity.work / 520)
    rows = summarize(est.values())
    assert [r["rule"] for r in rows] == ["train_lora", "eval_base", "eval_checkpoint", "eval_parity"]
    # a measured letter-scoring run teaches nothing about generation of the same rule
    base = next(j for j in jobs if j.rule == "eval_base")
    measured = {j: 1.0 for j in planned_jobs(demo) if j.rule.startswith("eval_")}
    est = {e.job: e for e in estimate(jobs, load_throughput(throughput_file), measured)}
    assert est[base].source == "throughput"
