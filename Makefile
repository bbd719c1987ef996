# Two commands do all set-up on a fresh machine:
#   make demo   - the embedded default, end to end, on CPU (tiny Qwen2.5-VL, generated data)
#   make test   - the test suite (unit, property, end-to-end, Slurm)
#   make test-fast - only the unit and property tier (no workflow runs, no Slurm)
# Both create .venv and install the project on first use, and are idempotent.

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# deepspeed (the `cluster` extra) is built against the CPU torch already in the venv: with
# build isolation pip would fetch a CUDA torch of several GB just to build it. The ZeRO-3
# save/load test needs it; the pin is read from pyproject.toml so it cannot drift.
DEEPSPEED_PIN := $(shell grep -o '"deepspeed==[^"]*"' pyproject.toml | tr -d '"')
DEMO_CONFIG ?= config/demo.yaml

.PHONY: demo test test-fast install lint format clean-results

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch==2.13.0 is the CPU wheel (pinned in pyproject); never torchvision beside it.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-build-isolation '$(DEEPSPEED_PIN)'
	@! $(BIN)/python -m pip show torchvision >/dev/null 2>&1 || { echo "error: torchvision is installed in $(VENV); it breaks the CPU torch wheel"; exit 1; }
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/snakemake --profile profiles/local --configfile $(DEMO_CONFIG)

test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest

# The daily loop: unit and property tests, no end-to-end workflow runs and no Slurm cluster.
test-fast: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest -m "not slow and not slurm"

lint: $(STAMP)
	$(BIN)/snakemake --lint --configfile $(DEMO_CONFIG)
	$(BIN)/snakefmt --check Snakefile workflow/rules

format: $(STAMP)
	$(BIN)/snakefmt Snakefile workflow/rules

clean-results:
	rm -rf results .snakemake
