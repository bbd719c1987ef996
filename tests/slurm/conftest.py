"""A real single-node Slurm cluster (tests/slurm/cluster.sh) shared by the Slurm tests.

The cluster starts once per test session, only when a test asks for ``slurm_cluster``,
and stops at the end. ``SLURM_CONF`` is handed to the tests' subprocesses through the
environment the fixture returns, never set in this process: the Snakemake slurm plugin
runs ``scontrol`` when imported, and with ``SLURM_CONF`` naming a controller that is
down every Snakemake start-up would stall ~10 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CLUSTER_SH = Path(__file__).with_name("cluster.sh")


@dataclass(frozen=True)
class SlurmCluster:
    """A running test cluster: its directory and the environment that reaches it."""

    directory: Path
    slurm_conf: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The current environment pointed at this cluster (plus ``extra``).

        ``bin/`` goes first on PATH for its ``srun`` shim (see cluster.sh).
        """
        path = f"{self.directory / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, "SLURM_CONF": str(self.slurm_conf), "PATH": path, **extra}

    def run(self, *cmd: str, **kwargs) -> subprocess.CompletedProcess[str]:
        """Run a Slurm client command against this cluster; raise when it fails."""
        return subprocess.run(
            cmd, env=self.env(), check=True, capture_output=True, text=True, **kwargs
        )


def _slurm_installed() -> bool:
    return all(shutil.which(tool) for tool in ("slurmctld", "slurmd", "munged", "sbatch"))


def _skip_reason() -> str | None:
    """Why the cluster cannot be had here, or None when cluster.sh can start it."""
    if _slurm_installed():
        return None if os.geteuid() == 0 else "Slurm daemons need root to run"
    if os.geteuid() != 0:
        return "Slurm is not installed and installing it (apt-get) needs root"
    if shutil.which("apt-get") is None:
        return "Slurm is not installed and there is no apt-get to install it"
    return None


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory):
    """Start the single-node cluster with two emulated GPUs; stop it after the session."""
    reason = _skip_reason()
    if reason:
        pytest.skip(f"no local Slurm test cluster: {reason}")
    # Unix socket paths are limited to ~107 bytes: keep the directory short.
    directory = Path(tmp_path_factory.mktemp("slurm", numbered=True))
    started = subprocess.run(
        ["bash", str(CLUSTER_SH), "start", str(directory)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    try:
        if started.returncode != 0:
            pytest.fail(
                f"tests/slurm/cluster.sh start failed ({started.returncode}):\n"
                f"{started.stdout}\n{started.stderr}"
            )
        yield SlurmCluster(directory=directory, slurm_conf=directory / "slurm.conf")
    finally:
        subprocess.run(
            ["bash", str(CLUSTER_SH), "stop", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
        )
