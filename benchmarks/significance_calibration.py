"""Do the significance marks hold their level? Simulated studies with known truth, old test beside new.

Each simulated model has the paper's shape: 13 targets with BLINK's validation sizes, one
base evaluation per target, 12 sources x 4 seeds into each (156 off-diagonal cells), per
question difficulty, and training noise per (run, target) on the logit scale
(``tasktransfer.analysis.null_simulation``). For every scenario it prints, per test:

* per model: the share of models with at least one cell significant after the BY
  correction (nominal: at most alpha), with a 95 % Clopper-Pearson interval;
* per cell: the share of cells with p <= alpha (nominal: alpha);
* the ratio of the old pooled McNemar rate to the new test's (the baseline of this run).

Then power: effects of a few sizes planted on a random fifth of the cells (the rest null),
BY-corrected, the share of planted cells found and the false discoveries among the rest.

    .venv/bin/python benchmarks/significance_calibration.py [--models 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats as st

from tasktransfer.analysis.null_simulation import StudyShape, model_p_values, seed_accuracy_sd
from tasktransfer.analysis.stats import adjust

TESTS = ("seeds_questions", "adapters", "pooled_mcnemar")
NULL_SCENARIOS = {
    "no training noise": StudyShape(seed_sd=0.0),
    "noise 0.3": StudyShape(seed_sd=0.3),
    "noise 0.6, uneven": StudyShape(seed_sd=0.6, seed_sd_spread=1.0),
    "noise 1.0": StudyShape(seed_sd=1.0),
}


def clopper_pearson(k: int, n: int) -> tuple[float, float]:
    lo = st.beta.ppf(0.025, k, n - k + 1) if k else 0.0
    hi = st.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return float(lo), float(hi)


def null_rates(shape: StudyShape, n_models: int, rng: np.random.Generator, alpha: float):
    models = dict.fromkeys(TESTS, 0)
    cells = dict.fromkeys(TESTS, 0)
    n_cells = 0
    for _ in range(n_models):
        ps, planted = model_p_values(rng, shape)
        for name in TESTS:
            models[name] += bool((adjust(ps[name], "by") <= alpha).any())
            cells[name] += int((ps[name] <= alpha).sum())
        n_cells += planted.size
    return models, {k: v / n_cells for k, v in cells.items()}


def power(shape: StudyShape, effect: float, n_models: int, rng: np.random.Generator, alpha: float):
    found = dict.fromkeys(TESTS, 0)
    false = dict.fromkeys(TESTS, 0)
    n_planted = n_null = 0
    for _ in range(n_models):
        effects = np.where(rng.random((shape.n_tasks, shape.n_tasks)) < 0.2, effect, 0.0)
        np.fill_diagonal(effects, 0.0)
        ps, planted = model_p_values(rng, shape, effects)
        for name in TESTS:
            hit = adjust(ps[name], "by") <= alpha
            found[name] += int(hit[planted != 0].sum())
            false[name] += int(hit[planted == 0].sum())
        n_planted += int((planted != 0).sum())
        n_null += int((planted == 0).sum())
    return {k: v / n_planted for k, v in found.items()}, {k: v / n_null for k, v in false.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200, help="null models per scenario")
    ap.add_argument("--power-models", type=int, default=20, help="models per planted effect size")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    print(f"null studies: {args.models} models per scenario, 156 cells each, 4 seeds, alpha {args.alpha}, BY")
    print("| scenario | seed-to-seed sd of accuracy | test | models with any significant cell (95% CI) | cells with p <= alpha |")
    print("|---|---|---|---|---|")
    for label, shape in NULL_SCENARIOS.items():
        sd = seed_accuracy_sd(np.random.default_rng(args.seed + 1), shape, n_models=5)
        models, cells = null_rates(shape, args.models, rng, args.alpha)
        for name in TESTS:
            lo, hi = clopper_pearson(models[name], args.models)
            print(f"| {label} | {100 * sd:.1f} pp | {name} | {models[name] / args.models:.3f} ({lo:.3f}-{hi:.3f}) "
                  f"| {cells[name]:.4f} |")
        ratio = cells["pooled_mcnemar"] / max(cells["seeds_questions"], 1e-12)
        print(f"| {label} | | pooled / seeds_questions, per cell | {ratio:.1f}x | |")
    print()
    shape = StudyShape(seed_sd=0.3)
    print(f"power: effects planted on ~20% of cells, noise 0.3, {args.power_models} models per size, BY at {args.alpha}")
    print("| planted accuracy change | test | planted cells found | null cells flagged |")
    print("|---|---|---|---|")
    for effect in (0.03, 0.06, 0.10, 0.15):
        found, false = power(shape, effect, args.power_models, rng, args.alpha)
        for name in TESTS:
            print(f"| {100 * effect:.0f} pp | {name} | {found[name]:.3f} | {false[name]:.4f} |")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
