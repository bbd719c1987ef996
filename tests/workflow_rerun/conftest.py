"""A completed run of a tiny study in a temporary copy of the workflow.

The run happens once per session; tests that change files work on their own copy of
the finished directory (mtimes and Snakemake's metadata preserved), so they stay
independent and never touch the repository's results/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("rerun.yaml")
WORKFLOW_FILES = ("Snakefile", "workflow", "envs")


def targets(config: dict) -> list[str]:
    """`all` plus the run manifest and every adapter.

    Snakemake regenerates a missing intermediate file only when a job that needs it has
    to run anyway, so a deleted adapter is retrained only when adapters are targets
    themselves. These are the final outputs the workflow's `all` should list
    (docs/cluster.md); naming them here keeps the tests independent of that list.
    """
    from tasktransfer.provenance.workflow import manifest_adapters

    return ["all", "results/provenance/manifest.json", *manifest_adapters(config)]
_JOB = re.compile(r"^(?:local)?rule (\w+):$")
_WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")


class Workdir:
    """A workflow copy: write configs, dry-run, and read the planned jobs.

    Snakemake runs with ``library`` (a snapshot of the tasktransfer package) first on
    PYTHONPATH, so the completed run and every dry run see the same library even while
    the checkout is being edited; a test may point PYTHONPATH at a modified copy.
    """

    library: Path | None = None

    def __init__(self, path: Path) -> None:
        self.path = path

    def config(self, **changes) -> dict:
        return {**yaml.safe_load(CONFIG.read_text()), **changes}

    def write_config(self, config: dict, name: str = "config.yaml") -> Path:
        path = self.path / name
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def snakemake(self, *args: str, config: dict | None = None, timeout: int = 900) -> str:
        config = config or self.config()
        cfg = self.write_config(config)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        if self.library is not None:
            env.setdefault("PYTHONPATH", str(self.library.parent))
        done = subprocess.run(
            [sys.executable, "-m", "snakemake", "--configfile", str(cfg), "--cores", "2", *args, *targets(config)],
            cwd=self.path, env=env, capture_output=True, text=True, timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout + done.stderr

    def planned(self, config: dict | None = None) -> set[str]:
        """The jobs a dry run would execute, as ``rule[key=value,...]`` (rule all left out)."""
        jobs, rule = set(), None
        for line in self.snakemake("--dry-run", config=config).splitlines():
            if m := _JOB.match(line):
                if rule:
                    jobs.add(rule)
                rule = m[1]
            elif rule and (m := _WILDCARDS.match(line)):
                pairs = sorted(p.strip() for p in m[1].split(","))
                jobs.add(f"{rule}[{','.join(pairs)}]")
                rule = None
            elif rule and not line.strip():
                jobs.add(rule)
                rule = None
        if rule:
            jobs.add(rule)
        jobs.discard("all")
        return jobs


_DECLARED = re.compile(r"^\s+(?:output|benchmark): (.*)$")


def touch_complete(work: Workdir, config: dict) -> None:
    """Mark ``config``'s whole DAG as run, in seconds and without running anything.

    Every declared output and benchmark file of a full dry run is created empty (a name
    without a dot, e.g. ``results/analysis``, as a folder: the workflow's directory()
    outputs), then ``--touch --forceall`` orders their mtimes and records Snakemake's
    metadata (params, code, input set) as a real run does. Dry runs with a changed config
    then plan what the change reruns, by Snakemake's own triggers; no output content is
    read, so this checks the rerun policy and nothing about results.
    """
    for line in work.snakemake("--dry-run", "--forceall", config=config).splitlines():
        if m := _DECLARED.match(line):
            for rel in m[1].split(", "):
                path = work.path / rel
                if "." in path.name:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.touch()
                else:
                    path.mkdir(parents=True, exist_ok=True)
    work.snakemake("--touch", "--forceall", config=config)


def copy_workflow(dest: Path) -> Workdir:
    dest.mkdir(parents=True)
    for name in WORKFLOW_FILES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    return Workdir(dest)


@pytest.fixture(scope="session")
def touched_runs(tmp_path_factory) -> dict[str, Workdir]:
    """The rerun study marked complete (:func:`touch_complete`) per evaluation mode."""
    runs = {}
    for mode in ("per_checkpoint", "shared"):
        work = copy_workflow(tmp_path_factory.mktemp("touched") / "wf")
        config = work.config()
        config["evaluation"] = {**config["evaluation"], "mode": mode}
        touch_complete(work, config)
        runs[mode] = work
    return runs


@pytest.fixture
def touched(touched_runs, tmp_path):
    """A private copy of a touched run per evaluation mode: ``touched(mode)``."""

    def copy(mode: str = "per_checkpoint") -> Workdir:
        dest = tmp_path / mode / "wf"
        shutil.copytree(touched_runs[mode].path, dest, symlinks=True)  # copy2: mtimes kept
        return Workdir(dest)

    return copy


@pytest.fixture
def touch():
    """:func:`touch_complete`, for tests that mark a changed config as run."""
    return touch_complete


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> Path:
    """A snapshot of the tasktransfer package taken once per session."""
    import tasktransfer

    dest = tmp_path_factory.mktemp("library") / "tasktransfer"
    shutil.copytree(Path(tasktransfer.__file__).parent, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory, library) -> Workdir:
    """The tiny study run to completion (a few minutes on two busy cores)."""
    Workdir.library = library
    path = tmp_path_factory.mktemp("rerun") / "wf"
    path.mkdir()
    for name in WORKFLOW_FILES:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, path / name)
    work = Workdir(path)
    work.snakemake()
    return work


@pytest.fixture
def workdir(completed_run, tmp_path) -> Workdir:
    """A private copy of the completed run for a test that changes files."""
    dest = tmp_path / "wf"
    shutil.copytree(completed_run.path, dest, symlinks=True)  # copy2: mtimes kept
    return Workdir(dest)
