"""Checkpoint sealing, corruption detection, selection, pruning and the signal guard."""

import os
import signal

import pytest

from tasktransfer.train.resume import (
    MANIFEST,
    PreemptionGuard,
    ResumeCallback,
    checkpoint_problems,
    list_checkpoints,
    prune,
    resume_dir,
    select_resume_checkpoint,
    write_manifest,
)


def _ckpt(root, step, seal=True):
    d = root / f"checkpoint-{step}"
    (d / "sub").mkdir(parents=True)
    (d / "adapter_model.safetensors").write_bytes(bytes(range(256)) * (step + 1))
    (d / "sub" / "optimizer.pt").write_bytes(b"opt%d" % step)
    if seal:
        write_manifest(d, step)
    return d


def test_resume_dir_is_outside_declared_outputs(tmp_path):
    assert resume_dir(tmp_path / "results", "tiny", "Counting", 2) == tmp_path / "results/.resume/tiny/Counting/seed2"


def test_sealed_checkpoint_is_valid(tmp_path):
    assert checkpoint_problems(_ckpt(tmp_path, 5)) == []


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda d: (d / MANIFEST).unlink(), "no MANIFEST"),
        (lambda d: (d / MANIFEST).write_text("{not json"), "unreadable manifest"),
        (lambda d: (d / "adapter_model.safetensors").write_bytes(b"short"), "size"),
        (lambda d: (d / "sub/optimizer.pt").write_bytes(b"XXX5"), "sha256 differs"),
        (lambda d: (d / "sub/optimizer.pt").unlink(), "missing"),
        (lambda d: (d / "scheduler.pt").write_bytes(b"late"), "not listed"),
    ],
)
def test_damage_is_detected(tmp_path, damage, message):
    d = _ckpt(tmp_path, 5)
    damage(d)
    problems = checkpoint_problems(d)
    assert problems and message in " ".join(problems)


def test_empty_checkpoint_cannot_be_sealed(tmp_path):
    (tmp_path / "checkpoint-1").mkdir()
    with pytest.raises(ValueError, match="empty checkpoint"):
        write_manifest(tmp_path / "checkpoint-1")


def test_select_newest_valid_and_delete_bad(tmp_path, caplog):
    _ckpt(tmp_path, 10)
    _ckpt(tmp_path, 20)
    half = _ckpt(tmp_path, 30, seal=False)  # killed while saving
    bad = _ckpt(tmp_path, 25)
    (bad / "adapter_model.safetensors").write_bytes(b"\0" * 10)  # damaged after sealing
    assert select_resume_checkpoint(tmp_path) == tmp_path / "checkpoint-20"
    assert not half.exists() and not bad.exists()
    assert [s for s, _ in list_checkpoints(tmp_path)] == [10, 20]
    assert "skipping corrupt or unfinished checkpoint" in caplog.text


def test_select_none(tmp_path):
    assert select_resume_checkpoint(tmp_path / "absent") is None
    _ckpt(tmp_path, 3, seal=False)
    assert select_resume_checkpoint(tmp_path) is None


def test_prune_keeps_newest_sealed(tmp_path):
    for s in (1, 2, 3, 4):
        _ckpt(tmp_path, s)
    _ckpt(tmp_path, 0, seal=False)
    _ckpt(tmp_path, 5, seal=False)  # in progress: kept
    prune(tmp_path, keep=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [3, 4, 5]


def test_guard_records_sigterm_and_restores_handler():
    before = signal.getsignal(signal.SIGTERM)
    with PreemptionGuard() as guard:
        os.kill(os.getpid(), signal.SIGTERM)
        assert guard.signalled == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == before


def test_callback_requests_save_and_stop_after_signal():
    from transformers import TrainerControl

    guard = PreemptionGuard()
    cb = ResumeCallback(guard)
    control = cb.on_step_end(None, None, TrainerControl())
    assert not control.should_save and not control.should_training_stop
    guard.signalled = signal.SIGTERM
    control = cb.on_step_end(None, None, TrainerControl())
    assert control.should_save and control.should_training_stop
