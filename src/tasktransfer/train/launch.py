"""Start a training job in this process or under torchrun, one process per GPU.

The workflow's train rule describes the job as a JSON-able dict (base model, split or
mixture, output folder, resolved settings, seed, resume folder) and calls
:func:`launch` with the job's GPU count. One GPU without DeepSpeed (and every CPU run)
trains in-process; otherwise ``torchrun --standalone --nproc_per_node N -m
tasktransfer.train.launch job.json`` runs it, each rank calling :func:`run_job`. A rank
stopped by SIGTERM exits with :data:`~tasktransfer.train.resume.PREEMPTED_EXIT_CODE`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .resume import PREEMPTED_EXIT_CODE, Preempted


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train as ``job`` says.

    Keys: base_model, out_dir, params (resolved train settings), seed, extra_metrics,
    resume_root, and either train_split (one split path) or mixture + splits: a mixture
    config ``{"tasks": {task: {"ratio", "weight"}}, "budget": n, "loss": "vitw"|"tla"}``
    (what ``tasktransfer.extensions.spec.MixtureSpec.to_mixture_config`` writes) and
    ``{task: split path}``.
    """
    from .mixture import components_from_config
    from .trainer import settings_from_params, train_lora

    params = dict(job["params"])
    if "mixture" in job:
        mix = job["mixture"]
        split = components_from_config(mix["tasks"], job["splits"])
        params["max_examples"] = int(mix["budget"])
        params["loss"] = mix.get("loss", "vitw")
    else:
        split = job["train_split"]
    return train_lora(
        base_model=job["base_model"],
        train_split=split,
        out_dir=job["out_dir"],
        settings=settings_from_params(params),
        seed=int(job["seed"]),
        extra_metrics=job.get("extra_metrics"),
        resume_root=job.get("resume_root"),
    )


def needs_torchrun(n_gpus: int, deepspeed: str) -> bool:
    """Several GPUs, or DeepSpeed on any GPU count, run under torchrun."""
    return n_gpus > 1 or (n_gpus >= 1 and deepspeed not in ("none", "", None))


def torchrun_command(job_file: str | Path, n_procs: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n_procs}",
            "-m", "tasktransfer.train.launch", str(job_file)]


def launch(job: dict[str, Any], n_gpus: int) -> int:
    """Run ``job`` on ``n_gpus`` GPUs (0: CPU); return the exit code (0 success, 143 preempted)."""
    deepspeed = (job.get("params") or {}).get("deepspeed", "none")
    if not needs_torchrun(n_gpus, deepspeed):
        try:
            run_job(job)
        except Preempted as exc:
            print(f"[train] {exc}", flush=True)
            return PREEMPTED_EXIT_CODE
        return 0
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="tasktransfer-job-", delete=False) as fh:
        json.dump(job, fh)
    try:
        print(f"[train] launching {n_gpus} processes: {' '.join(torchrun_command(fh.name, n_gpus))}", flush=True)
        return subprocess.call(torchrun_command(fh.name, n_gpus), stdout=sys.stdout, stderr=sys.stderr)
    finally:
        os.unlink(fh.name)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tasktransfer.train.launch JOB.json", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text())
    try:
        run_job(job)
    except Preempted as exc:
        print(f"[train] rank {os.environ.get('RANK', '0')}: {exc}", flush=True)
        return PREEMPTED_EXIT_CODE
    return 0


if __name__ == "__main__":
    sys.exit(main())
