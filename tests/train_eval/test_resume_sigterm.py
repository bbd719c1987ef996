"""SIGTERM mid-training, rerun, and get the same adapter bytes as an uninterrupted run."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tasktransfer.train.resume import PREEMPTED_EXIT_CODE

JOB = Path(__file__).with_name("resume_job.py")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _job(model, split, out, resume_root, sleep):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(JOB.parent)}
    return subprocess.Popen([sys.executable, str(JOB), str(model), str(split), str(out), str(resume_root), str(sleep)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_sigterm_then_resume_is_bit_identical(tiny_model, small_splits, tmp_path):
    sys.path.insert(0, str(JOB.parent))
    from resume_job import run

    split = small_splits["Counting", "train"]
    run(tiny_model, split, tmp_path / "straight", tmp_path / "unused-resume")
    reference = _sha(tmp_path / "straight/adapter_model.safetensors")

    out, resume = tmp_path / "out", tmp_path / "results/.resume/tiny/Counting/seed3"
    proc = _job(tiny_model, split, out, resume, 0.3)
    deadline = time.time() + 120
    while not (resume / "checkpoint-4" / "MANIFEST").exists():
        assert proc.poll() is None and time.time() < deadline, proc.communicate()[0][-3000:]
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    log = proc.communicate(timeout=120)[0]
    assert proc.returncode == PREEMPTED_EXIT_CODE, log[-3000:]
    assert "rerun to resume" in log
    assert not out.exists()  # no partial outputs
    steps = sorted(int(p.name.split("-")[1]) for p in resume.glob("checkpoint-*"))
    assert steps and 4 <= steps[-1] < 12
    # a half-written newer checkpoint (killed while saving) must be skipped, never loaded
    (resume / "checkpoint-11").mkdir()
    (resume / "checkpoint-11" / "adapter_model.safetensors").write_bytes(b"garbage")

    proc = _job(tiny_model, split, out, resume, 0.0)
    log = proc.communicate(timeout=180)[0]
    assert proc.returncode == 0, log[-3000:]
    assert "skipping corrupt or unfinished checkpoint" in log
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["resumed_from_step"] == steps[-1] and metrics["global_steps"] == 12
    assert _sha(out / "adapter_model.safetensors") == reference
    assert not resume.exists()  # cleaned up after success
