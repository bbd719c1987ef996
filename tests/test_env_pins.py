"""The conda environments under envs/ pin exactly what pyproject.toml pins.

The cluster runs rules in these environments while local runs and tests use the
virtualenv built from pyproject.toml; a drifting pin would make the two produce
different bytes from the same inputs and seed.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s;]+)$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(requirements: list[str], where: str) -> dict[str, str]:
    pins = {}
    for req in requirements:
        match = PIN.match(req.strip())
        if match is None:
            raise AssertionError(f"{where}: `{req}` is not an exact pin NAME==VERSION")
        pins[_canonical(match["name"])] = match["version"]
    return pins


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _env(path: Path) -> tuple[list[str], list[str]]:
    """Split an environment file into its conda specs and its pip requirements."""
    data = yaml.safe_load(path.read_text())
    conda, pip = [], []
    for dep in data["dependencies"]:
        if isinstance(dep, dict):
            pip.extend(dep["pip"])
        else:
            conda.append(dep)
    return conda, pip


def test_there_is_an_env_per_rule_family():
    assert {p.stem for p in ENVS} == {"data", "train", "analysis"}


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.stem)
def test_pip_pins_match_pyproject(env: Path, pyproject: dict):
    wanted = _pins(pyproject["project"]["dependencies"], "pyproject.toml")
    _, pip = _env(env)
    pinned = _pins(pip, env.name)
    assert pinned, f"{env.name} pins nothing"
    unknown = sorted(set(pinned) - set(wanted))
    assert not unknown, f"{env.name} pins packages pyproject.toml does not: {unknown}"
    differ = {n: (v, wanted[n]) for n, v in pinned.items() if v != wanted[n]}
    assert not differ, f"{env.name} pins differ from pyproject.toml (env, pyproject): {differ}"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.stem)
def test_conda_level_matches_python_and_build_requirements(env: Path, pyproject: dict):
    conda, _ = _env(env)
    requires = pyproject["project"]["requires-python"]  # e.g. ">=3.11,<3.12"
    minor = re.match(r">=(\d+\.\d+)", requires)[1]
    assert f"python={minor}" in conda, f"{env.name}: expected python={minor} ({requires})"
    # The library is installed without build isolation, so the build backend must be in
    # the environment, with the same constraints as [build-system].
    for req in pyproject["build-system"]["requires"]:
        assert req in conda, f"{env.name}: build requirement `{req}` missing"
    assert "pip" in conda
    data = yaml.safe_load(env.read_text())
    assert "defaults" not in data["channels"], f"{env.name}: use conda-forge, not defaults"


def test_train_env_has_the_gpu_stack(pyproject: dict):
    _, pip = _env(ROOT / "envs" / "train.yaml")
    pinned = _pins(pip, "train.yaml")
    for name in ("torch", "transformers", "peft", "accelerate"):
        assert name in pinned, f"train.yaml lacks {name}"
    # The CPU wheel carries a local version (+cpu); the cluster needs the CUDA build.
    assert "+" not in pinned["torch"]


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.stem)
def test_post_deploy_installs_the_library(env: Path):
    script = env.with_suffix(".post-deploy.sh")
    assert script.is_file(), f"{script.name} missing: rules could not import tasktransfer"
    assert "install-library.sh" in script.read_text()


def test_rules_name_existing_envs():
    """Every `conda:` directive in the workflow points at a file under envs/."""
    rules = sorted((ROOT / "workflow").rglob("*.smk")) + [ROOT / "workflow" / "Snakefile"]
    seen = []
    for path in filter(Path.is_file, rules):
        for match in re.finditer(r'^\s*conda:\s*\n\s*"([^"]+)"', path.read_text(), re.M):
            target = (path.parent / match[1]).resolve()
            seen.append(target)
            assert target in {p.resolve() for p in ENVS}, f"{path.name}: no env {match[1]}"
    if not seen:
        pytest.skip("the workflow declares no conda: environments yet")
