"""Publication figures of the analysis (matplotlib Agg backend, PNG + PDF).

Each module draws one kind of figure from library results; :func:`style.save` writes
both formats atomically with fixed metadata so equal inputs give equal bytes.
"""
