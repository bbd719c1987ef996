"""Balanced placement of the correct option, so no letter is a free shortcut.

BLINK's gold letters are balanced; training data must be too, or fine-tuning teaches a
letter prior instead of the task. Positions are drawn in shuffled blocks of one of each
letter, so any prefix of a stream is balanced to within one per letter, and the
sequence is a pure function of the seed.
"""

from __future__ import annotations

import random
from typing import Sequence, TypeVar

from ..tasks import LETTERS

T = TypeVar("T")


class LetterBalancer:
    """Stream of correct-option positions in ``range(n_options)``, balanced in blocks."""

    def __init__(self, n_options: int, seed: int) -> None:
        if not 2 <= n_options <= len(LETTERS):
            raise ValueError(f"n_options must be 2..{len(LETTERS)}, got {n_options}")
        self.n_options = n_options
        self._rng = random.Random(seed)
        self._block: list[int] = []

    def next_position(self) -> int:
        if not self._block:
            self._block = list(range(self.n_options))
            self._rng.shuffle(self._block)
        return self._block.pop()

    def place(self, correct: T, distractors: Sequence[T]) -> tuple[list[T], str]:
        """Return options with ``correct`` at the next balanced position, and its letter.

        Distractors keep their given order around it.
        """
        if len(distractors) != self.n_options - 1:
            raise ValueError(f"expected {self.n_options - 1} distractors, got {len(distractors)}")
        pos = self.next_position()
        options = list(distractors[:pos]) + [correct] + list(distractors[pos:])
        return options, LETTERS[pos]
