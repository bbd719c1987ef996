"""Entry point of rule ext_visatb (logic: tasktransfer.extensions.pipeline.run_visatb)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    import pandas as pd

    from tasktransfer.extensions.pipeline import direct_counts, run_visatb

    from tasktransfer.extensions.settings import BalanceSettings

    p = snakemake.params
    settings = BalanceSettings(**p.settings)
    accuracies = pd.concat([pd.read_csv(f, dtype={"seed": str}, keep_default_na=False) for f in snakemake.input.accuracy])
    counts = direct_counts(dict(zip(p.tasks, snakemake.input.splits)), p.caps)
    weights = run_visatb(accuracies, p.tasks, counts, settings, snakemake.output[0])
    print("VisATB weights:", {t: round(w, 4) for t, w in weights.items()})
