"""VisATB hyper-parameters (temperature and mixing coefficients), free of heavy imports.

Kept apart from :mod:`.visatb` so that validating a config (at workflow planning time)
does not import numpy, pandas or scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["VisATBConfig"]


@dataclass(frozen=True)
class VisATBConfig:
    """Hyper-parameters of the VisATB weighting (defaults: the paper's Academic Benchmark)."""

    temperature: float = field(default=0.5, metadata={"help": "softmax temperature T (> 0)"})
    alpha_out: float = field(default=0.25, metadata={"help": "coefficient of lambda_out"})
    alpha_in: float = field(default=0.25, metadata={"help": "coefficient of lambda_in"})
    alpha_d: float = field(default=0.5, metadata={"help": "coefficient of lambda_D"})

    def __post_init__(self) -> None:
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"`temperature` must be a finite number > 0, got {self.temperature!r}")
        alphas = {"alpha_out": self.alpha_out, "alpha_in": self.alpha_in, "alpha_d": self.alpha_d}
        for name, value in alphas.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
        total = sum(alphas.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"`alpha_out` + `alpha_in` + `alpha_d` must sum to 1 (paper eq. 8), got {total!r} "
                f"from {alphas}"
            )

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Any]) -> "VisATBConfig":
        """Build from a config section; unknown keys are an error naming the valid ones."""
        valid = {"temperature", "alpha_out", "alpha_in", "alpha_d"}
        unknown = set(cfg) - valid
        if unknown:
            raise ValueError(f"unknown VisATB option(s) {sorted(unknown)}; valid: {sorted(valid)}")
        return cls(**{k: float(v) for k, v in cfg.items()})
