"""Training job used by test_resume_sigterm.py (run as a subprocess so it can be SIGTERMed).

usage: resume_job.py MODEL SPLIT OUT RESUME_ROOT STEP_SLEEP
"""

import sys
import time

import torch
from transformers import TrainerCallback

from tasktransfer.train.resume import PREEMPTED_EXIT_CODE, Preempted
from tasktransfer.train.trainer import TrainSettings, train_lora

SETTINGS = TrainSettings(lr=1e-2, max_steps=12, global_batch=4, per_device_batch=2, logging_steps=2, checkpoint_steps=2)


class SlowSteps(TrainerCallback):
    """Stretch each step so a signal can land mid-run; does not touch the numerics."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_step_end(self, args, state, control, **kwargs):
        time.sleep(self.seconds)


def run(model, split, out, resume_root, step_sleep=0.0):
    return train_lora(model, split, out, SETTINGS, seed=3, resume_root=resume_root,
                      callbacks=[SlowSteps(step_sleep)] if step_sleep else [])


if __name__ == "__main__":
    torch.set_num_threads(1)
    model, split, out, resume_root, sleep = sys.argv[1:6]
    try:
        run(model, split, out, resume_root, float(sleep))
    except Preempted as exc:
        print(exc, flush=True)
        sys.exit(PREEMPTED_EXIT_CODE)
