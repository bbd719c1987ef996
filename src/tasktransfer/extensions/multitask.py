"""Specs for balanced multi-task training: VITW (VisATB weights), EW and TLA.

All three runs train one adapter on the same examples of every task (same budget); they
differ only in how per-token losses are combined (VisATB sec. 2.1):

* ``vitw``: token-level mean with per-task weights ``lambda_i`` (eq. 2);
* ``ew``: plain token-level mean (eq. 1), i.e. VITW with all weights 1;
* ``tla``: mean loss within each task, then mean over tasks (task-level aggregation).
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .spec import MixtureSpec

__all__ = ["balance_specs"]


def balance_specs(
    tasks: Sequence[str],
    examples: Mapping[str, int],
    weights: Mapping[str, float],
    seed: int,
    strategies: Sequence[str] = ("vitw", "ew", "tla"),
    details: Mapping[str, object] | None = None,
) -> list[MixtureSpec]:
    """One spec per weighting scheme over the same tasks and example counts.

    ``weights`` (task -> VisATB weight) is used by ``vitw`` only; ``details`` (e.g. the
    VisATB record) is attached to the ``vitw`` spec for provenance.
    """
    valid = ("vitw", "ew", "tla")
    unknown = [s for s in strategies if s not in valid]
    if unknown:
        raise ValueError(f"unknown balancing strategy {unknown}; valid: {list(valid)}")
    missing = [t for t in tasks if t not in weights]
    if "vitw" in strategies and missing:
        raise KeyError(f"no VisATB weight for task(s) {missing}")
    ones = {t: 1.0 for t in tasks}
    specs = []
    for strategy in strategies:
        specs.append(
            MixtureSpec(
                name=f"multitask__{strategy}",
                study="balance",
                strategy=strategy,
                seed=seed,
                tasks=tuple(tasks),
                examples={t: int(examples[t]) for t in tasks},
                loss_weights={t: float(weights[t]) for t in tasks} if strategy == "vitw" else ones,
                loss_aggregation="task" if strategy == "tla" else "token",
                details=dict(details or {}) if strategy == "vitw" else {},
            )
        )
    return specs
