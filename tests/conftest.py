"""Test-wide settings and the shared planted-structure workflow run.

One BLAS/torch thread per process (2-core CI machines oversubscribe); the planted run is
session-scoped because several test modules check different parts of the same run.
"""

import os
import sys
from pathlib import Path

import pytest

# importlib import mode puts no test folder on sys.path; shared helpers live in tests/helpers.
sys.path.insert(0, str(Path(__file__).parent / "helpers"))

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

# Workflow rules call the `tasktransfer` console script: make the running environment's
# scripts findable even when pytest was started as .venv/bin/pytest without activation.
import sys as _sys

_bin = os.path.dirname(_sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory) -> Path:
    """config/planted.yaml (with both extension studies) run end to end; the work folder."""
    from snakemake_run import ROOT, snakemake

    work = tmp_path_factory.mktemp("planted")
    snakemake(work, "--configfile", str(ROOT / "config/planted.yaml"), "--cores", "2")
    return work
