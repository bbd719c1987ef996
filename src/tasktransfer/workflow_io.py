"""Helpers for the workflow's script entry points: logging into the rule's log file.

Scripts call :func:`job_logging` first, so everything a job prints (ours, transformers',
Python warnings) lands in the rule's ``log:`` file, line-buffered, readable in Slurm logs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def job_logging(log_path: str | os.PathLike[str] | None, threads: int = 1) -> Iterator[None]:
    """Send stdout/stderr to ``log_path``; pin torch/BLAS to ``threads`` threads."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if not log_path:
        yield
        return
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", buffering=1, encoding="utf-8") as fh:
        old_out, old_err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = fh
        logging.basicConfig(stream=fh, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                            force=True)
        try:
            yield
        except BaseException:
            import traceback

            traceback.print_exc(file=fh)
            raise
        finally:
            sys.stdout, sys.stderr = old_out, old_err


def set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(max(1, threads))
