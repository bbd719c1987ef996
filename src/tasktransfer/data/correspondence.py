"""Sampling for the point-correspondence tasks: reference points and distractor points.

Rule ``far_distractors``: distractors are at least ``min_dist`` pixels from the true
point and from each other, so every option is a distinct, visibly separate circle.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

Pt = tuple[float, float]


def inside(p: Pt, size: tuple[int, int], margin: float) -> bool:
    """Whether ``p`` lies at least ``margin`` pixels inside an image of ``size``."""
    return margin <= p[0] < size[0] - margin and margin <= p[1] < size[1] - margin


def far_enough(p: Pt, others: Sequence[Pt], min_dist: float) -> bool:
    return all(math.dist(p, q) >= min_dist for q in others)


def sample_far_points(rng: random.Random, size: tuple[int, int], k: int, avoid: Sequence[Pt], min_dist: float,
                      margin: float, tries: int = 200) -> list[Pt] | None:
    """``k`` uniform points inside the margin, each ``min_dist`` from ``avoid`` and each other; None if not found."""
    chosen: list[Pt] = []
    for _ in range(tries):
        p = (rng.uniform(margin, size[0] - margin), rng.uniform(margin, size[1] - margin))
        if far_enough(p, [*avoid, *chosen], min_dist):
            chosen.append(p)
            if len(chosen) == k:
                return chosen
    return None


def pick_far_candidates(rng: random.Random, candidates: Sequence[Pt], k: int, avoid: Sequence[Pt],
                        min_dist: float) -> list[int] | None:
    """Indices of ``k`` candidates (random order) separated as :func:`sample_far_points` requires; None if impossible."""
    order = list(range(len(candidates)))
    rng.shuffle(order)
    chosen: list[int] = []
    for i in order:
        if far_enough(candidates[i], [*avoid, *(candidates[j] for j in chosen)], min_dist):
            chosen.append(i)
            if len(chosen) == k:
                return chosen
    return None
