"""Plain-line training progress for Slurm log files (no progress bars, no carriage returns).

One line per logging step on the main process::

    [train] step 40/250 (16.0%) loss 1.2345 lr 9.7e-04 | 1830 tok/s 3.2 ex/s | elapsed 0:02:05 eta 0:10:56
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from transformers import TrainerCallback

log = logging.getLogger("tasktransfer.train")


def _hms(seconds: float) -> str:
    return str(dt.timedelta(seconds=int(max(0.0, seconds))))


class ProgressCallback(TrainerCallback):
    """Log steps, loss, learning rate, throughput and ETA at each Trainer log event."""

    def __init__(self, print_fn=None) -> None:
        self.print_fn = print_fn or (lambda line: print(line, flush=True))
        self._t0 = None
        self._step0 = 0
        self._tokens0 = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self._t0 = time.monotonic()
        self._step0 = state.global_step  # > 0 after a resume: throughput counts this run only
        self._tokens0 = state.num_input_tokens_seen
        if state.is_world_process_zero:
            self.print_fn(f"[train] start at step {state.global_step}/{state.max_steps} "
                          f"(world size {args.world_size}, per-device batch {args.per_device_train_batch_size}, "
                          f"accumulation {args.gradient_accumulation_steps})")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or self._t0 is None or not logs or "loss" not in logs:
            return
        elapsed = time.monotonic() - self._t0
        done = state.global_step - self._step0
        rate = done / elapsed if elapsed > 0 else 0.0
        tokens = state.num_input_tokens_seen - self._tokens0
        examples = done * args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
        eta = (state.max_steps - state.global_step) / rate if rate > 0 else float("nan")
        pct = 100.0 * state.global_step / max(1, state.max_steps)
        self.print_fn(
            f"[train] step {state.global_step}/{state.max_steps} ({pct:.1f}%) loss {float(logs['loss']):.4f} "
            f"lr {float(logs.get('learning_rate', 0.0)):.2e} | {tokens / elapsed if elapsed else 0:.0f} tok/s "
            f"{examples / elapsed if elapsed else 0:.2f} ex/s | elapsed {_hms(elapsed)} "
            f"eta {_hms(eta) if eta == eta else '?'}"
        )
