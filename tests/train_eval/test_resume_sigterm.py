"""SIGTERM mid-training, rerun, and get the same adapter bytes as an uninterrupted run.

The training jobs are forked from the test process (modules already imported, so no
seconds of import per job); resume_job.py runs the same job as a script by hand.
"""

import hashlib
import json
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

from tasktransfer.train.resume import PREEMPTED_EXIT_CODE

JOB = Path(__file__).with_name("resume_job.py")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Job:
    """A forked training job with its output in a log file (Popen-like: poll, send_signal, communicate)."""

    def __init__(self, model, split, out, resume_root, sleep, log):
        self.log = Path(log)
        self.proc = multiprocessing.get_context("fork").Process(
            target=self._main, args=(model, split, out, resume_root, sleep))
        self.proc.start()

    def _main(self, *args):
        import logging

        sys.stdout = sys.stderr = open(self.log, "w", buffering=1)  # noqa: SIM115 (closed by _exit)
        logging.getLogger().addHandler(logging.StreamHandler(sys.stderr))
        sys.argv = ["resume_job.py", *map(str, args)]
        code = 0
        try:
            import runpy

            runpy.run_path(str(JOB), run_name="__main__")
        except SystemExit as exc:
            code = exc.code or 0
        except BaseException:
            import traceback

            traceback.print_exc()
            code = 1
        sys.stdout.flush(), sys.stderr.flush()
        os._exit(code)

    def poll(self):
        return self.proc.exitcode

    def send_signal(self, sig):
        os.kill(self.proc.pid, sig)

    def communicate(self, timeout):
        self.proc.join(timeout)
        self.returncode = self.proc.exitcode
        return [self.log.read_text()]


def _job(model, split, out, resume_root, sleep):
    return _Job(model, split, out, resume_root, sleep, Path(out).parent / f"job-{time.monotonic_ns()}.log")


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
