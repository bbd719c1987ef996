"""The ``extensions:`` config section: which studies run, on what, with which settings.

Validated here (not only by the JSON schema) so that a typo names the key, shows the
value and lists what would be valid, and so the workflow's input functions and scripts
share one resolved view with every default filled in.

Example (the keys and their defaults)::

    extensions:
      selection:
        enabled: true
        model: null            # whose PGF matrix ranks helpers; default: the first model
        targets: []            # tasks to pretend have no data; default: every task
        k: 3                   # helpers in the PGF-guided mixture
        n_random: 3            # random k-task mixtures per target
        significant_only: false  # keep only cells with q < alpha (needs q-values)
        alpha: 0.05
        seed: 0                # seed of the random draws and of example sampling
        train_seeds: null      # training seeds of mixture runs; default: config seeds
        n_bootstrap: 2000
      balance:
        enabled: true
        model: null
        form: simple           # simple (appendix C) or full (eq. 3, needs i+mini runs)
        mini_fraction: 0.03125 # size of the mini subsets (1/32)
        temperature: 0.5
        alpha_out: 0.25
        alpha_in: 0.25
        alpha_d: 0.5
        strategies: [vitw, ew, tla]
        undefined: exclude     # a direct run that leaves its own task at the reference makes
                               # its C column undefined: exclude it (neutral C_in) or error
        lr: null               # multi-task runs: default the smallest task lr
        epochs: null           # multi-task runs: default the largest task `epochs` (1 if none)
        seed: 0
        train_seeds: null
        n_bootstrap: 2000
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

from .visatb_config import VisATBConfig

__all__ = ["BalanceSettings", "ExtensionSettings", "SelectionSettings"]


def _reject_unknown(section: str, given: Mapping[str, Any], cls: type) -> None:
    valid = [f.name for f in fields(cls)]
    for key in given:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ValueError(f"config key `{section}.{key}`: unknown key{hint}; expected one of: {', '.join(valid)}")


def _int(section: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"config key `{section}.{key}`: expected an integer >= {minimum}, got {value!r}")
    return value


def _seeds(section: str, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"config key `{section}.train_seeds`: expected a non-empty list of integers, got {value!r}")
    return tuple(_int(section, "train_seeds", v, 0) for v in value)


@dataclass(frozen=True)
class SelectionSettings:
    """PGF-guided data selection (see :mod:`tasktransfer.extensions.selection`)."""

    enabled: bool = True
    model: str | None = None
    targets: tuple[str, ...] = ()
    k: int = 3
    n_random: int = 3
    significant_only: bool = False
    alpha: float = 0.05
    seed: int = 0
    train_seeds: tuple[int, ...] | None = None
    n_bootstrap: int = 2000


@dataclass(frozen=True)
class BalanceSettings:
    """VisATB-weighted multi-task training against EW and TLA."""

    enabled: bool = True
    model: str | None = None
    form: str = "simple"
    mini_fraction: float = 1 / 32
    temperature: float = 0.5
    alpha_out: float = 0.25
    alpha_in: float = 0.25
    alpha_d: float = 0.5
    strategies: tuple[str, ...] = ("vitw", "ew", "tla")
    undefined: str = "exclude"
    lr: float | None = None
    epochs: float | None = None
    seed: int = 0
    train_seeds: tuple[int, ...] | None = None
    n_bootstrap: int = 2000

    @property
    def visatb(self) -> VisATBConfig:
        return VisATBConfig(self.temperature, self.alpha_out, self.alpha_in, self.alpha_d)


@dataclass(frozen=True)
class ExtensionSettings:
    """Both studies, resolved against the workflow's models, tasks and seeds."""

    selection: SelectionSettings = field(default_factory=SelectionSettings)
    balance: BalanceSettings = field(default_factory=BalanceSettings)

    @classmethod
    def from_config(
        cls, section: Mapping[str, Any] | None, models: Sequence[str], tasks: Sequence[str], seeds: Sequence[int]
    ) -> "ExtensionSettings":
        """Validate ``config["extensions"]`` and fill defaults from the rest of the config."""
        section = dict(section or {})
        _reject_unknown("extensions", section, cls)
        if not models:
            raise ValueError("extensions: the config defines no models")
        sel = dict(section.get("selection") or {})
        bal = dict(section.get("balance") or {})
        _reject_unknown("extensions.selection", sel, SelectionSettings)
        _reject_unknown("extensions.balance", bal, BalanceSettings)
        return cls(
            selection=_selection(sel, models, tasks, seeds),
            balance=_balance(bal, models, tasks, seeds),
        )


def _model(section: str, value: Any, models: Sequence[str]) -> str:
    if value is None:
        return models[0]
    if value not in models:
        raise ValueError(f"config key `{section}.model`: {value!r} is not a configured model; expected one of: {', '.join(models)}")
    return value


def _bool(section: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"config key `{section}.{key}`: expected true or false, got {value!r}")
    return value


def _fraction(section: str, key: str, value: Any, low_open: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low_open < value <= high):
        raise ValueError(f"config key `{section}.{key}`: expected a number in ({low_open}, {high}], got {value!r}")
    return float(value)


def _positive(section: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"config key `{section}.{key}`: expected a number > 0 or null, got {value!r}")
    return float(value)


def _selection(cfg: dict[str, Any], models: Sequence[str], tasks: Sequence[str], seeds: Sequence[int]) -> SelectionSettings:
    s = "extensions.selection"
    d = SelectionSettings()
    targets = tuple(cfg.get("targets") or tasks)
    unknown = [t for t in targets if t not in tasks]
    if unknown:
        raise ValueError(f"config key `{s}.targets`: {unknown} are not training tasks; expected some of: {', '.join(tasks)}")
    if len(tasks) < 2:
        raise ValueError(f"{s}: data selection needs at least 2 tasks, the config has {list(tasks)}")
    k = _int(s, "k", cfg.get("k", d.k), 1)
    if k > len(tasks) - 1:
        raise ValueError(f"config key `{s}.k`: {k} exceeds the {len(tasks) - 1} tasks other than a target")
    return SelectionSettings(
        enabled=_bool(s, "enabled", cfg.get("enabled", d.enabled)),
        model=_model(s, cfg.get("model"), models),
        targets=targets,
        k=k,
        n_random=_int(s, "n_random", cfg.get("n_random", d.n_random), 1),
        significant_only=_bool(s, "significant_only", cfg.get("significant_only", d.significant_only)),
        alpha=_fraction(s, "alpha", cfg.get("alpha", d.alpha), 0.0, 1.0),
        seed=_int(s, "seed", cfg.get("seed", d.seed), 0),
        train_seeds=_seeds(s, cfg.get("train_seeds")) or tuple(int(x) for x in seeds),
        n_bootstrap=_int(s, "n_bootstrap", cfg.get("n_bootstrap", d.n_bootstrap), 100),
    )


def _balance(cfg: dict[str, Any], models: Sequence[str], tasks: Sequence[str], seeds: Sequence[int]) -> BalanceSettings:
    s = "extensions.balance"
    d = BalanceSettings()
    form = cfg.get("form", d.form)
    if form not in ("simple", "full"):
        raise ValueError(f"config key `{s}.form`: {form!r} is not allowed; expected one of ['simple', 'full']")
    strategies = tuple(cfg.get("strategies", d.strategies))
    bad = [x for x in strategies if x not in ("vitw", "ew", "tla")]
    if bad or not strategies or len(set(strategies)) != len(strategies):
        raise ValueError(f"config key `{s}.strategies`: got {list(strategies)}; expected distinct values from ['vitw', 'ew', 'tla']")
    undefined = cfg.get("undefined", d.undefined)
    if undefined not in ("exclude", "error"):
        raise ValueError(f"config key `{s}.undefined`: {undefined!r} is not allowed; expected one of ['exclude', 'error']")
    if len(tasks) < 2:
        raise ValueError(f"{s}: task balancing needs at least 2 tasks, the config has {list(tasks)}")
    out = BalanceSettings(
        enabled=_bool(s, "enabled", cfg.get("enabled", d.enabled)),
        model=_model(s, cfg.get("model"), models),
        form=form,
        mini_fraction=_fraction(s, "mini_fraction", cfg.get("mini_fraction", d.mini_fraction), 0.0, 1.0),
        temperature=float(cfg.get("temperature", d.temperature)),
        alpha_out=float(cfg.get("alpha_out", d.alpha_out)),
        alpha_in=float(cfg.get("alpha_in", d.alpha_in)),
        alpha_d=float(cfg.get("alpha_d", d.alpha_d)),
        strategies=strategies,
        undefined=undefined,
        lr=_positive(s, "lr", cfg.get("lr")),
        epochs=_positive(s, "epochs", cfg.get("epochs")),
        seed=_int(s, "seed", cfg.get("seed", d.seed), 0),
        train_seeds=_seeds(s, cfg.get("train_seeds")) or tuple(int(x) for x in seeds),
        n_bootstrap=_int(s, "n_bootstrap", cfg.get("n_bootstrap", d.n_bootstrap), 100),
    )
    try:
        out.visatb
    except ValueError as exc:
        raise ValueError(f"config section `{s}`: {exc}") from None
    return out
