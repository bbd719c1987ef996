"""The test cluster itself: GPU requests are scheduled and visible to the job."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slurm


def _wait_finished(cluster, job_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = cluster.run("squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T").stdout
        if state.strip() in {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"}:
            return state.strip()
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish within {timeout} s")


def test_node_has_two_gpus(slurm_cluster):
    out = slurm_cluster.run("sinfo", "-h", "-N", "-o", "%t %G").stdout.split()
    assert out == ["idle", "gpu:emu:2"]


@pytest.mark.parametrize("gpus, visible", [("1", "0"), ("emu:1", "0"), ("2", "0,1")])
def test_gpu_job_sees_its_devices(slurm_cluster, tmp_path, gpus, visible):
    out = tmp_path / "job.out"
    job_id = slurm_cluster.run(
        "sbatch",
        "--parsable",
        f"--gpus={gpus}",
        f"--output={out}",
        "--wrap",
        'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"',
    ).stdout.strip()
    assert _wait_finished(slurm_cluster, job_id) == "COMPLETED"
    assert out.read_text().strip() == f"CUDA_VISIBLE_DEVICES={visible}"
    job = slurm_cluster.run("scontrol", "show", "job", job_id).stdout
    assert f"TresPerJob=gres:gpu:{gpus}" in job
