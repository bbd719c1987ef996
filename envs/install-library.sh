#!/usr/bin/env bash
# Install the tasktransfer library into the freshly created conda environment.
# Snakemake runs post-deploy scripts inside the new environment from the working
# directory, which is the repository root. Editable, so that library edits reach the
# rules without rebuilding the environment; dependencies come from the env's yaml only.
set -euo pipefail
if ! grep -qs '^name = "tasktransfer"' pyproject.toml; then
  echo "install-library.sh: no tasktransfer pyproject.toml in $PWD;" \
    "run snakemake from the repository root" >&2
  exit 1
fi
python -m pip install --quiet --no-deps --no-build-isolation --editable .
