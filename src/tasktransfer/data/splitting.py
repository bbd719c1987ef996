"""Deterministic group splits (by photo, sequence, video) for datasets without official ones.

A group goes to ``val``/``test``/``train`` by a hash of its id alone, so the assignment
never depends on which other groups exist, on the seed of a build or on sharding, and
no group is ever in two splits.
"""

from __future__ import annotations

import hashlib


def group_split(group_id: str, val_fraction: float, test_fraction: float, salt: str = "") -> str:
    """``"val"``, ``"test"`` or ``"train"`` for ``group_id`` (fractions of the groups, in expectation)."""
    if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
        raise ValueError(f"need val_fraction, test_fraction >= 0 with a sum < 1; got {val_fraction}, {test_fraction}")
    u = int.from_bytes(hashlib.sha256(f"{salt}\x1f{group_id}".encode()).digest()[:8], "big") / 2**64
    if u < val_fraction:
        return "val"
    if u < val_fraction + test_fraction:
        return "test"
    return "train"
