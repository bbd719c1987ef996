"""Category-wise transfer (App. D.3, eqs. 3-4) and its counterpart, category malleability.

Delta+_{a->b} averages over the sources i of category a the logistic-weighted positive
PGF that i induces on the targets of category b; N is the same as for eq. 1
(:mod:`transfer`). Category malleability reads the same matrix down its columns: for a
receiving category b and a giving category a it averages, over the targets j of b, the
logistic-weighted PGF that j receives from the sources of a (N = number of sources, as
for task malleability). Transfer says which kind of training helps; malleability which
kind of task is easily moved. Categories come from settings, never from code.
"""

from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np
import polars as pl

from tasktransfer.analysis.pgf import Matrix
from tasktransfer.analysis.transfer import logistic_average, used_mask

CATEGORY_COLUMNS = ("scheme", "source_category", "target_category", "delta_pos", "delta_neg", "n_sources", "n_targets")
MALLEABILITY_COLUMNS = ("scheme", "target_category", "source_category", "delta_pos", "delta_neg", "n_targets", "n_sources")


def category_transfer(
    matrix: Matrix,
    categories: Mapping[str, Mapping[str, Sequence[str]]],
    include_diagonal: bool = False,
    n_mode: Literal["all", "used"] = "all",
) -> pl.DataFrame:
    """Delta+/- between every ordered pair of categories of every scheme (eqs. 3-4).

    Categories with no source (or no target) in ``matrix`` give null values, so a partial
    run (few fine-tuned tasks) still yields a complete, honest table.
    """
    mask = used_mask(matrix, include_diagonal)
    n_all = matrix.values.shape[1]
    rows = []
    for scheme, groups in categories.items():
        for a, members_a in groups.items():
            src = [matrix.sources.index(t) for t in members_a if t in matrix.sources]
            for b, members_b in groups.items():
                tgt = np.array([t in set(members_b) for t in matrix.targets])
                pos_terms, neg_terms = [], []
                for i in src:
                    cells = mask[i] & tgt
                    vals = matrix.values[i][cells]
                    n_total = int(mask[i].sum()) if n_mode == "used" else n_all
                    if n_total == 0:
                        continue
                    d_pos, d_neg, _, _ = logistic_average(vals, n_total)
                    pos_terms.append(d_pos)
                    neg_terms.append(d_neg)
                rows.append(
                    (
                        scheme, a, b,
                        float(np.mean(pos_terms)) if pos_terms else None,
                        float(np.mean(neg_terms)) if neg_terms else None,
                        len(src), int(tgt.sum()),
                    )
                )
    schema = dict(zip(CATEGORY_COLUMNS, [pl.String] * 3 + [pl.Float64] * 2 + [pl.Int64] * 2))
    return pl.DataFrame(rows, schema=schema, orient="row")


def category_malleability(
    matrix: Matrix,
    categories: Mapping[str, Mapping[str, Sequence[str]]],
    include_diagonal: bool = False,
    n_mode: Literal["all", "used"] = "all",
) -> pl.DataFrame:
    """Delta+/- received by every category from every category (:data:`MALLEABILITY_COLUMNS`).

    Row (b, a): the mean over the targets j of category b of the logistic-weighted
    positive (negative) PGF that j receives from the sources of category a. It is
    :func:`category_transfer` of the transposed matrix, so both read the same cells.
    """
    transposed = Matrix(matrix.values.T.copy(), matrix.targets, matrix.sources)
    df = category_transfer(transposed, categories, include_diagonal, n_mode)
    return df.rename(
        {"source_category": "target_category", "target_category": "source_category", "n_sources": "n_targets",
         "n_targets": "n_sources"}
    ).select(MALLEABILITY_COLUMNS)
