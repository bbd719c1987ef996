"""Using the transfer matrix: PGF-guided data selection and VisATB task balancing.

Modules (one concept each):

* :mod:`.selection` -- rank helpers of a target by PGF, build top-k / random / uniform mixtures;
* :mod:`.visatb` -- inter-task contribution, intra-task difficulty and VisATB task weights;
* :mod:`.multitask` -- the VITW / EW / TLA multi-task runs;
* :mod:`.spec` -- the JSON mixture spec the trainer consumes;
* :mod:`.balance_metrics` -- Delta I % and Delta E % against single-task fine-tuning;
* :mod:`.results` -- tables and figures with bootstrap CIs (matplotlib imported lazily).
"""

from .balance_metrics import BalanceSummary, balance_summary, per_task_improvement
from .multitask import balance_specs
from .results import balance_results, plot_balance, plot_selection, selection_results
from .selection import allocate_budget, random_mixtures, rank_sources, select_top_k, selection_specs, uniform_mixture
from .spec import MixtureSpec, read_spec, write_spec
from .visatb import (
    VisATBConfig,
    VisATBWeights,
    contribution_full,
    contribution_simple,
    difficulty,
    inward_contribution,
    outward_contribution,
    scaled_softmax,
    visatb_from_contribution,
    visatb_weights,
)

__all__ = [
    "BalanceSummary",
    "MixtureSpec",
    "VisATBConfig",
    "VisATBWeights",
    "allocate_budget",
    "balance_results",
    "balance_specs",
    "balance_summary",
    "contribution_full",
    "contribution_simple",
    "difficulty",
    "inward_contribution",
    "outward_contribution",
    "per_task_improvement",
    "plot_balance",
    "plot_selection",
    "random_mixtures",
    "rank_sources",
    "read_spec",
    "scaled_softmax",
    "select_top_k",
    "selection_results",
    "selection_specs",
    "uniform_mixture",
    "visatb_from_contribution",
    "visatb_weights",
    "write_spec",
]
