"""tasktransfer: measure task transfer between perception tasks in vision-language models.

The library holds all logic; the Snakemake workflow (Snakefile, workflow/) only wires it.
Heavy dependencies (torch, transformers) are imported lazily inside the modules that need
them, so importing :mod:`tasktransfer` (and planning the DAG) stays fast.
"""

__version__ = "0.1.0"
