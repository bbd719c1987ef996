"""Analysis of task transfer: PGF, transferability, malleability, cliques, personas,
categories, statistics, LoRA similarity and figures.

The workflow calls :func:`tasktransfer.analysis.pipeline.run`; the pieces are importable
on their own for notebooks and tests.
"""

from tasktransfer.analysis.pgf import Matrix, compute_pgf, pgf_exact, summarise, to_matrix
from tasktransfer.analysis.settings import AnalysisSettings

__all__ = ["AnalysisSettings", "Matrix", "compute_pgf", "pgf_exact", "summarise", "to_matrix"]
