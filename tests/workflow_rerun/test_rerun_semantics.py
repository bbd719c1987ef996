"""After a complete run, dry runs plan exactly the jobs a change should redo.

Policy (docs/cluster.md, src/tasktransfer/versions.py): a job reruns when its own
settings (params), its inputs or its entry script change; library code is versioned per
stage, so an edit that changes results bumps that stage's number and reruns the stage
and everything downstream, while a refactor or plotting edit reruns nothing upstream.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ("0", "1")
TASKS = ("Counting", "Jigsaw")


def train(task: str, seed: str) -> str:
    return f"train_lora[model=tiny,seed={seed},task={task}]"


def evaluate(task: str, seed: str) -> str:
    return f"eval_checkpoint[model=tiny,seed={seed},task={task}]"


def aggregation(workdir) -> set[str]:
    """Aggregation and report jobs: rerun after any change to the results they summarise."""
    jobs = {"collect_accuracies", "analyze", "analysis_tables"}
    if (workdir.path / "results" / "provenance" / "manifest.json").exists():
        jobs.add("run_manifest")
    return jobs


def test_nothing_changed_plans_nothing(completed_run):
    assert completed_run.planned() == set()


def test_one_tasks_learning_rate_retrains_that_task_only(completed_run):
    config = completed_run.config()
    config["tasks"]["Counting"]["lr"] = 5.0e-3
    expected = {train("Counting", s) for s in SEEDS} | {evaluate("Counting", s) for s in SEEDS}
    assert completed_run.planned(config) == expected | aggregation(completed_run)


def test_analysis_setting_reruns_analysis_only(completed_run):
    config = completed_run.config(analysis={"include_diagonal": True})
    assert completed_run.planned(config) == aggregation(completed_run) - {"collect_accuracies"}


def test_plotting_script_edit_reruns_no_training_or_evaluation(workdir):
    script = workdir.path / "workflow" / "scripts" / "analyze.py"
    script.write_text(script.read_text() + "\n# figure layout tweak\n")
    assert workdir.planned() == aggregation(workdir) - {"collect_accuracies"}


def test_deleted_checkpoint_retrains_only_it_and_dependents(workdir):
    ckpt = workdir.path / "results" / "checkpoints" / "tiny" / "Jigsaw" / "seed1"
    (ckpt / "adapter_model.safetensors").unlink()
    expected = {train("Jigsaw", "1"), evaluate("Jigsaw", "1")} | aggregation(workdir)
    assert workdir.planned() == expected


def test_deleted_encoded_inputs_rerun_nothing(workdir):
    """results/encoded/ may be deleted to reclaim space once evaluations are done."""
    shutil.rmtree(workdir.path / "results" / "encoded")
    assert workdir.planned() == set()


def test_added_seed_runs_only_new_jobs(completed_run):
    config = completed_run.config(seeds=[0, 1, 2])
    expected = {train(t, "2") for t in TASKS} | {evaluate(t, "2") for t in TASKS}
    assert completed_run.planned(config) == expected | aggregation(completed_run)


def test_added_training_task_runs_only_new_jobs(completed_run):
    config = completed_run.config()
    config["tasks"]["Relative_Depth"] = {"epochs": 1, "lr": 1.0e-2}
    new = "Relative_Depth"
    expected = {"generate_split[split=train,task=Relative_Depth]"}
    expected |= {train(new, s) for s in SEEDS} | {evaluate(new, s) for s in SEEDS}
    assert completed_run.planned(config) == expected | aggregation(completed_run)


@pytest.fixture
def patched_library(library, tmp_path, monkeypatch):
    """A copy of the session's library snapshot first on PYTHONPATH, to edit freely."""
    dest = tmp_path / "lib" / "tasktransfer"
    shutil.copytree(library, dest)
    monkeypatch.setenv("PYTHONPATH", str(dest.parent))
    return dest


def _bump(package: Path, stage: str) -> None:
    versions = package / "versions.py"
    text, n = re.subn(rf'("{stage}":\s*)(\d+)', lambda m: f"{m[1]}{int(m[2]) + 1}", versions.read_text(), count=1)
    assert n == 1, f"no version number for stage {stage!r} in {versions}"
    versions.write_text(text)


def test_unversioned_library_edit_reruns_nothing(completed_run, patched_library):
    figures = next((patched_library / "analysis").glob("*.py"))
    figures.write_text(figures.read_text() + "\n# refactor: no result changes\n")
    assert completed_run.planned() == set()


def test_train_stage_version_bump_retrains_everything_downstream(completed_run, patched_library):
    _bump(patched_library, "train")
    expected = {f(t, s) for t in TASKS for s in SEEDS for f in (train, evaluate)}
    assert completed_run.planned() == expected | aggregation(completed_run)


def test_analysis_stage_version_bump_reruns_analysis_only(completed_run, patched_library):
    _bump(patched_library, "analysis")
    assert completed_run.planned() == aggregation(completed_run) - {"collect_accuracies"}
