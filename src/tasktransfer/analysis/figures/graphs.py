"""Task-transfer graph (Fig. 1) and clique graphs (Fig. 2b, App. D.2) per model."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import networkx as nx
import numpy as np

from tasktransfer.analysis.cliques import sign_graph
from tasktransfer.analysis.figures.style import label, plt, save
from tasktransfer.analysis.pgf import Matrix

POS_COLOUR = "#2166ac"
NEG_COLOUR = "#b2182b"


def _layout(tasks: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Fixed circular layout in task order: the same task sits at the same place in every figure."""
    return nx.circular_layout(list(tasks))


def _draw_nodes(ax, graph: nx.Graph, pos, colours=None) -> None:
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_size=520, node_color=colours or "#f0f0f0", edgecolors="#444444")
    nx.draw_networkx_labels(
        graph, {k: v * 1.0 for k, v in pos.items()}, labels={t: label(t).replace(" ", "\n") for t in graph.nodes},
        ax=ax, font_size=6.5,
    )


def transfer_graph(matrix: Matrix, threshold: float, title: str, path_stem: str | os.PathLike[str]) -> list[Path]:
    """Directed transfers with |mean PGF| >= ``threshold`` (diagonal left out), positive and
    negative in two panels so neither hides the other.

    Edge width grows with |PGF|, capped at 1 so one large negative cell does not dominate.
    """
    sq = matrix.square()
    pos = _layout(sq.sources)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.8))
    for ax, sign, colour in ((axes[0], 1, POS_COLOUR), (axes[1], -1, NEG_COLOUR)):
        graph = nx.DiGraph()
        graph.add_nodes_from(sq.sources)
        for i, s in enumerate(sq.sources):
            for j, t in enumerate(sq.targets):
                v = sq.values[i, j]
                if i != j and np.isfinite(v) and sign * v >= threshold and v != 0:
                    graph.add_edge(s, t, weight=float(v))
        edges = list(graph.edges(data="weight"))
        nx.draw_networkx_edges(
            graph, pos, ax=ax, edgelist=[(a, b) for a, b, _ in edges], edge_color=colour,
            width=[0.5 + 4.0 * min(abs(w), 1.0) for _, _, w in edges],
            alpha=0.6, arrows=True, arrowsize=9, connectionstyle="arc3,rad=0.1", node_size=520,
        )
        _draw_nodes(ax, graph, pos)
        kind = "Positive" if sign > 0 else "Negative"
        ax.set_title(f"{kind} transfer: {len(edges)} edge{'s' if len(edges) != 1 else ''} with {'' if sign > 0 else '-'}PGF >= {threshold:g}", color=colour)
        ax.set_axis_off()
        ax.margins(0.12)
    fig.suptitle(f"{title} (arrow: fine-tuned source -> evaluated target; width ~ |PGF|, capped at 1)")
    return save(fig, path_stem)


def clique_graphs(matrix: Matrix, cliques: dict[str, list[list[str]]], title: str, path_stem: str | os.PathLike[str]) -> list[Path]:
    """Two panels (positive, negative): reciprocal-sign edges in grey, each maximal clique's
    edges in its own colour, members of the largest clique filled."""
    sq = matrix.square()
    pos = _layout(sq.sources)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.8))
    palettes = {
        "positive": ["#2166ac", "#ff7f0e", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#1f77b4"],
        "negative": ["#b2182b", "#9467bd", "#ff7f0e", "#8c564b", "#2ca02c", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22", "#d62728"],
    }
    for ax, sign in zip(axes, ("positive", "negative")):
        graph = sign_graph(sq, sign)
        nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#cccccc", width=1.0)
        found = cliques.get(sign, [])
        palette = palettes[sign]
        for k, clique in enumerate(found):
            sub = graph.subgraph(clique)
            nx.draw_networkx_edges(sub, pos, ax=ax, edge_color=[palette[k % 10]], width=2.6 - 0.15 * min(k, 8), alpha=0.85)
        largest = set(found[0]) if found else set()
        fill = POS_COLOUR if sign == "positive" else NEG_COLOUR
        colours = ["#9ecae1" if (t in largest and sign == "positive") else "#fcbba1" if t in largest else "#f0f0f0" for t in graph.nodes]
        _draw_nodes(ax, graph, pos, colours)
        for k, clique in enumerate(found[:10]):
            names = textwrap.fill(", ".join(label(t) for t in clique), 70)
            ax.plot([], [], color=palette[k % 10], lw=3, label=f"{len(clique)} tasks: {names}")
        if found:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=6.5, frameon=False)
        ax.set_title(f"{sign.capitalize()} cliques: {len(found)} maximal (size >= 2)", color=fill)
        ax.set_axis_off()
        ax.margins(0.12)
    fig.suptitle(title)
    return save(fig, path_stem)
