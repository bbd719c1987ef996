"""Preemption-safe training checkpoints that survive kills, requeues and node failures.

Snakemake deletes a rule's declared outputs before running it, so resumable state lives
elsewhere: ``results/.resume/<model>/<task>/seed<seed>/`` (:func:`resume_dir`). The
Hugging Face Trainer writes ``checkpoint-<step>/`` folders there; after each save
:class:`ResumeCallback` fsyncs every file and then writes ``MANIFEST`` (sha256 and size of
every file), atomically and *last*. A checkpoint is valid only if its manifest exists and
every listed file is present with the recorded hash and nothing else is there, so a
folder left half-written by a kill, or damaged later, is detected, deleted and never
loaded; training resumes from the newest valid one (:func:`select_resume_checkpoint`).

:class:`PreemptionGuard` turns SIGTERM (what Slurm sends at preemption, time limit or
``scancel``; ask for it early with ``--signal=TERM@120``) into "save at the end of this
step, then stop"; the caller then exits non-zero (:data:`PREEMPTED_EXIT_CODE`) so Slurm's
requeue or Snakemake's ``retries`` reruns the job, which resumes. After the final adapter
is written the resume folder is removed (:func:`cleanup`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from transformers import TrainerCallback

from ..atomic import atomic_path

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST"
PREEMPTED_EXIT_CODE = 143  # 128 + SIGTERM, what a shell reports for a TERM-killed job
_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


class Preempted(RuntimeError):
    """Training stopped on a signal after saving a checkpoint; rerun to resume."""


def resume_dir(results: str | os.PathLike[str], model: str, task: str, seed: int) -> Path:
    """Where the resumable state of one (model, task, seed) run lives."""
    return Path(results) / ".resume" / model / task / f"seed{seed}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST and not p.name.endswith(".tmp"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(folder: str | os.PathLike[str], step: int | None = None) -> Path:
    """Seal a fully written checkpoint: fsync its files, then write its manifest atomically."""
    folder = Path(folder)
    entries = {}
    for path in _files(folder):
        _fsync(path)
        entries[path.relative_to(folder).as_posix()] = {"sha256": sha256_file(path), "size": path.stat().st_size}
    if not entries:
        raise ValueError(f"{folder}: refusing to seal an empty checkpoint")
    target = folder / MANIFEST
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps({"step": step, "files": entries}, indent=1, sort_keys=True) + "\n")
        _fsync(tmp)
    _fsync(folder)
    return target


def checkpoint_problems(folder: str | os.PathLike[str]) -> list[str]:
    """Why a checkpoint cannot be trusted (empty list: valid)."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return [f"{folder}: no {MANIFEST} (checkpoint not finished)"]
    try:
        entries = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{manifest}: unreadable manifest ({exc})"]
    problems = []
    present = {p.relative_to(folder).as_posix() for p in _files(folder)}
    for name in sorted(present - set(entries)):
        problems.append(f"{folder / name}: not listed in the manifest")
    for name, meta in sorted(entries.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: listed in the manifest but missing")
        elif path.stat().st_size != meta["size"]:
            problems.append(f"{path}: size {path.stat().st_size}, manifest says {meta['size']}")
        elif sha256_file(path) != meta["sha256"]:
            problems.append(f"{path}: sha256 differs from the manifest")
    return problems


def list_checkpoints(root: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """``(step, folder)`` of every ``checkpoint-<step>`` under ``root``, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _CHECKPOINT_RE.match(p.name))]
    return sorted(found)


def select_resume_checkpoint(root: str | os.PathLike[str]) -> Path | None:
    """Newest valid checkpoint under ``root``; invalid ones are logged and deleted, never loaded."""
    chosen = None
    for step, folder in reversed(list_checkpoints(root)):
        problems = checkpoint_problems(folder) if chosen is None else []
        if chosen is None and not problems:
            chosen = folder
            log.info("resuming from %s (step %d)", folder, step)
        elif problems:
            log.warning("skipping corrupt or unfinished checkpoint: %s", "; ".join(problems))
            shutil.rmtree(folder, ignore_errors=True)
    return chosen


def prune(root: str | os.PathLike[str], keep: int = 2) -> None:
    """Keep the ``keep`` newest sealed checkpoints (older ones and stale unsealed ones go)."""
    sealed = [(s, p) for s, p in list_checkpoints(root) if (p / MANIFEST).is_file()]
    newest_sealed = sealed[-1][0] if sealed else -1
    for step, folder in list_checkpoints(root):
        if (folder / MANIFEST).is_file():
            if (step, folder) not in sealed[-keep:]:
                shutil.rmtree(folder, ignore_errors=True)
        elif step < newest_sealed:
            shutil.rmtree(folder, ignore_errors=True)


def cleanup(root: str | os.PathLike[str]) -> None:
    """Remove a finished run's resume folder."""
    shutil.rmtree(root, ignore_errors=True)


class PreemptionGuard:
    """Context manager recording SIGTERM (and optionally other signals) instead of dying.

    The first signal sets :attr:`signalled`; training then saves and stops at the end
    of the current step. A second signal restores the default handler and re-raises,
    so a stuck job can still be killed.
    """

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM,)) -> None:
        self.signals = signals
        self.signalled: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signalled is not None:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signalled = signum
        log.warning("received %s: saving a checkpoint at the end of this step, then stopping",
                    signal.Signals(signum).name)

    def __enter__(self) -> "PreemptionGuard":
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class ResumeCallback(TrainerCallback):
    """Checkpoint every ``every_steps`` steps or ``every_minutes`` minutes, and on a signal.

    Each saved checkpoint is sealed with a manifest and old ones are pruned. Under data
    parallelism the ranks agree (all-reduce) on whether to save or stop at each step, so
    a signal that reaches the ranks at slightly different times cannot split them.
    """

    def __init__(
        self, guard: PreemptionGuard | None = None, every_steps: int = 0, every_minutes: float = 0.0, keep: int = 2
    ) -> None:
        self.guard = guard
        self.every_steps = int(every_steps)
        self.every_minutes = float(every_minutes)
        self.keep = keep
        self._last_save = time.monotonic()

    def on_train_begin(self, args, state, control, **kwargs):
        self._last_save = time.monotonic()
        return control

    def on_step_end(self, args, state, control, **kwargs):
        stop = self.guard is not None and self.guard.signalled is not None
        timed = self.every_minutes > 0 and time.monotonic() - self._last_save >= 60 * self.every_minutes
        stop, timed = _agree(stop, timed, args)
        periodic = self.every_steps > 0 and state.global_step % self.every_steps == 0
        if stop or timed or periodic:
            control.should_save = True
        if stop:
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kwargs):
        _barrier()  # every rank has written its shard before rank 0 seals the folder
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            write_manifest(folder, step=state.global_step)
            prune(args.output_dir, keep=self.keep)
            log.info("sealed checkpoint %s", folder)
        _barrier()
        self._last_save = time.monotonic()
        return control


def _agree(stop: bool, timed: bool, args) -> tuple[bool, bool]:
    """Logical OR of both flags over all ranks (no-op in a single process)."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return stop, timed
    flags = torch.tensor([int(stop), int(timed)], device=args.device)
    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return bool(flags[0]), bool(flags[1])


def _barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
