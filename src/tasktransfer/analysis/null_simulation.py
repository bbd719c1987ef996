"""Simulated transfer studies with known truth, to measure a test's level and power.

A study of one model is simulated the way the real one is structured: each target task
has its questions, with a per-question difficulty (a logit drawn from a normal law), one
base evaluation shared by every source, and for every source task ``n_seeds`` fine-tuned
runs. A run answers question ``q`` correctly with probability
``sigmoid(eta_q + u + delta)``: ``u ~ N(0, seed_sd)`` is that run's training noise on
that target (a fresh draw per source, seed and target), ``delta`` the planted effect. The
base answers with the seed-averaged probability ``E_u[sigmoid(eta_q + u)]``, so with
``delta = 0`` the expected fine-tuned accuracy equals the base's on every question: no
transfer at all, whatever the noise. Fine-tuned runs and base differ question by question
(their correct sets are independent given the difficulty), as real adapters flip answers.

Planted effects are given in accuracy points and turned into the ``delta`` that moves the
expected accuracy of the cell by exactly that much.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from scipy import optimize, special

from tasktransfer.analysis.paired_tests import (
    MeanSquares, adapters_test, mean_squares, pooled_mcnemar, procedure_test, seed_prior,
)
from tasktransfer.tasks import TASKS

#: BLINK validation sizes of the 13 tasks (the paper's evaluation sets).
BLINK_VAL_SIZES: tuple[int, ...] = tuple(t.val_size for t in TASKS.values())

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(32)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class StudyShape:
    """What one simulated model looks like (defaults: the paper's per-model grid)."""

    sizes: Sequence[int] = BLINK_VAL_SIZES
    n_seeds: int = 4
    seed_sd: float = 0.0
    seed_sd_spread: float = 0.0
    difficulty_sd: float = 3.0
    difficulty_mean: float = 0.5

    @property
    def n_tasks(self) -> int:
        return len(self.sizes)


def expected_correct(eta: np.ndarray, seed_sd: float, shift: float = 0.0) -> np.ndarray:
    """``E_u[sigmoid(eta + shift + u)]`` with ``u ~ N(0, seed_sd)`` (Gauss-Hermite)."""
    if seed_sd == 0:
        return special.expit(eta + shift)
    return special.expit(eta[..., None] + shift + seed_sd * _NODES) @ _WEIGHTS


def logit_shift(eta: np.ndarray, seed_sd: float, accuracy: float) -> float:
    """The ``delta`` that gives runs with noise ``seed_sd`` the expected accuracy ``accuracy``."""
    if not 0 < accuracy < 1:
        raise ValueError(f"a planted accuracy of {accuracy:.3f} is outside (0, 1)")
    f = lambda d: expected_correct(eta, seed_sd, d).mean() - accuracy  # noqa: E731
    return 0.0 if abs(f(0.0)) < 1e-12 else float(optimize.brentq(f, -40, 40, xtol=1e-10))


@dataclass(frozen=True)
class TargetCells:
    """Every off-diagonal cell into one target: arrays (sources, seeds, questions)."""

    target: int
    sources: tuple[int, ...]
    base: np.ndarray
    ft: np.ndarray


def simulate_model(
    rng: np.random.Generator, shape: StudyShape, effects: np.ndarray | None = None
) -> Iterator[TargetCells]:
    """One simulated model, target by target (diagonal cells are not simulated).

    ``effects`` is a tasks x tasks matrix of planted accuracy changes (default: all 0).
    """
    n_t = shape.n_tasks
    for j, n in enumerate(shape.sizes):
        eta = rng.normal(shape.difficulty_mean, shape.difficulty_sd, size=n)
        p_base = expected_correct(eta, shape.seed_sd)
        base_row = rng.random(n) < p_base
        sources = tuple(i for i in range(n_t) if i != j)
        # Training noise of each cell; with a spread, some cells are much noisier than others.
        sds = shape.seed_sd * np.exp(shape.seed_sd_spread * rng.normal(size=len(sources)))
        planted = effects[list(sources), j] if effects is not None else np.zeros(len(sources))
        shifts = np.array([logit_shift(eta, sd, p_base.mean() + e) for e, sd in zip(planted.tolist(), sds)])
        u = rng.normal(size=(len(sources), shape.n_seeds)) * sds[:, None]
        logits = eta[None, None, :] + (shifts[:, None] + u)[..., None]
        ft = rng.random(logits.shape) < special.expit(logits)
        base = np.broadcast_to(base_row, ft.shape)
        yield TargetCells(j, sources, base.astype(np.int8), ft.astype(np.int8))


def seed_accuracy_sd(rng: np.random.Generator, shape: StudyShape, n_models: int = 20) -> float:
    """Median over cells of the seed-to-seed std of a fine-tuned run's accuracy (for reports)."""
    sds = []
    for _ in range(n_models):
        for cells in simulate_model(rng, shape):
            sds.extend(cells.ft.mean(axis=2).std(axis=1, ddof=1).tolist())
    return float(np.median(sds))


def model_p_values(
    rng: np.random.Generator, shape: StudyShape, effects: np.ndarray | None = None
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """p-values of every off-diagonal cell of one simulated model under each test, and the planted effects.

    Tests (:mod:`paired_tests`): ``seeds_questions`` (the default, with its seed prior
    fitted over the model's cells, as the analysis does), ``adapters`` (question-level
    sign-flip) and ``pooled_mcnemar`` (the old default).
    """
    parts, adapters, pooled, planted = [], [], [], []
    for cells in simulate_model(rng, shape, effects):
        parts.append(mean_squares(cells.base, cells.ft))
        adapters.append(adapters_test(cells.base, cells.ft))
        pooled.append(pooled_mcnemar(cells.base, cells.ft))
        planted.append(np.array([effects[i, cells.target] if effects is not None else 0.0 for i in cells.sources]))
    ms = MeanSquares.concat(parts)
    p = {
        "seeds_questions": procedure_test(ms, seed_prior(ms)).p_value,
        "adapters": np.concatenate(adapters),
        "pooled_mcnemar": np.concatenate(pooled),
    }
    return p, np.concatenate(planted)
