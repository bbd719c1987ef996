"""Using the transfer matrix: PGF-guided data selection and VisATB task balancing.

Modules (one concept each):

* :mod:`.selection` -- rank helpers of a target by PGF, build top-k / random / uniform mixtures;
* :mod:`.visatb` -- inter-task contribution, intra-task difficulty and VisATB task weights
  (:mod:`.visatb_config` holds its hyper-parameters);
* :mod:`.multitask` -- the VITW / EW / TLA multi-task runs;
* :mod:`.spec` -- the JSON mixture spec the trainer consumes;
* :mod:`.balance_metrics` -- Delta I % and Delta E % against single-task fine-tuning;
* :mod:`.results` -- tables and figures with bootstrap CIs (matplotlib imported lazily);
* :mod:`.inputs`, :mod:`.settings`, :mod:`.runs`, :mod:`.pipeline` -- the workflow's side.

Names are imported on first use (PEP 562), so the workflow can import the light modules
(settings, runs, spec) at planning time without pulling in pandas or scipy.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "BalanceSummary": "balance_metrics",
    "balance_summary": "balance_metrics",
    "per_task_improvement": "balance_metrics",
    "balance_specs": "multitask",
    "balance_results": "results",
    "plot_balance": "results",
    "plot_selection": "results",
    "selection_results": "results",
    "allocate_budget": "selection",
    "random_mixtures": "selection",
    "rank_sources": "selection",
    "select_top_k": "selection",
    "selection_specs": "selection",
    "uniform_mixture": "selection",
    "MixtureSpec": "spec",
    "read_spec": "spec",
    "read_specs": "spec",
    "write_spec": "spec",
    "ExtensionSettings": "settings",
    "VisATBConfig": "visatb_config",
    "VisATBWeights": "visatb",
    "contribution_full": "visatb",
    "contribution_simple": "visatb",
    "difficulty": "visatb",
    "inward_contribution": "visatb",
    "outward_contribution": "visatb",
    "scaled_softmax": "visatb",
    "visatb_from_contribution": "visatb",
    "visatb_weights": "visatb",
    "weights_from_runs": "visatb",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
