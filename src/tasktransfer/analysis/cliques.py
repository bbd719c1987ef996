"""Maximal cliques of mutual positive (or negative) transfer (sec. 3.1).

A set of tasks is a positive clique when every ordered pair inside it has PGF > 0.
Reciprocity makes this an undirected graph problem: an edge {i, j} exists iff both
mu[i->j] and mu[j->i] have the sign; cliques are networkx's maximal cliques. The
diagonal never matters (an edge needs two distinct tasks); exact zeros have no sign.
"""

from __future__ import annotations

from typing import Literal

import networkx as nx
import numpy as np

from tasktransfer.analysis.pgf import Matrix

Sign = Literal["positive", "negative"]


def sign_graph(matrix: Matrix, sign: Sign, keep: np.ndarray | None = None) -> nx.Graph:
    """Undirected graph of reciprocal-sign edges over the tasks that are both source and target.

    ``keep`` (same shape as the square matrix) drops edges unless both directions are kept,
    e.g. a significance mask.
    """
    sq = matrix.square()
    v = sq.values
    signed = v > 0 if sign == "positive" else v < 0
    if keep is not None:
        signed = signed & keep
    both = signed & signed.T
    graph = nx.Graph()
    graph.add_nodes_from(sq.sources)
    n = len(sq.sources)
    for i in range(n):
        for j in range(i + 1, n):
            if both[i, j]:
                graph.add_edge(sq.sources[i], sq.sources[j], weight=float(min(abs(v[i, j]), abs(v[j, i]))))
    return graph


def order_cliques(cliques: list[list[str]]) -> list[list[str]]:
    """Each clique sorted by name; the list by size descending, then by names."""
    return sorted((sorted(c) for c in cliques), key=lambda c: (-len(c), c))


def maximal_cliques(matrix: Matrix, sign: Sign, keep: np.ndarray | None = None, min_size: int = 2) -> list[list[str]]:
    """All maximal ``sign`` cliques of at least ``min_size`` tasks, in :func:`order_cliques` order.

    >>> m = Matrix(np.array([[0.0, 1, 1], [1, 0, -1], [1, -1, 0]]), ("a", "b", "c"), ("a", "b", "c"))
    >>> maximal_cliques(m, "positive")
    [['a', 'b'], ['a', 'c']]
    """
    graph = sign_graph(matrix, sign, keep)
    return order_cliques([c for c in nx.find_cliques(graph) if len(c) >= min_size])


def all_cliques(matrix: Matrix, keep: np.ndarray | None = None) -> dict[str, list[list[str]]]:
    """``{"positive": [...], "negative": [...]}`` as written to ``cliques.json``."""
    return {s: maximal_cliques(matrix, s, keep) for s in ("positive", "negative")}
