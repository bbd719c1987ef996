"""Entry point of rule ext_balance_report (logic: tasktransfer.extensions.pipeline)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    import pandas as pd

    from tasktransfer.extensions.pipeline import run_balance_report

    from tasktransfer.extensions.settings import BalanceSettings

    p = snakemake.params
    settings = BalanceSettings(**p.settings)
    predictions = pd.concat([pd.read_parquet(f) for f in snakemake.input.predictions])
    predictions["seed"] = predictions["seed"].astype(str)
    per_task, summary = run_balance_report(
        predictions,
        model=snakemake.wildcards.model,
        tasks=p.tasks,
        strategies=settings.strategies,
        table_out=snakemake.output.table,
        summary_out=snakemake.output.summary,
        figure_stem=Path(snakemake.output.figure).with_suffix(""),
        n_resamples=settings.n_bootstrap,
        seed=settings.seed,
    )
    print(summary.to_string())
