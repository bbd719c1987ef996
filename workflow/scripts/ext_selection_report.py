"""Entry point of rule ext_selection_report (logic: tasktransfer.extensions.pipeline)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    import pandas as pd

    from tasktransfer.extensions.pipeline import read_specs, run_selection_report

    from tasktransfer.extensions.settings import SelectionSettings

    p = snakemake.params
    settings = SelectionSettings(**p.settings)
    predictions = pd.concat([pd.read_parquet(f) for f in snakemake.input.predictions])
    predictions["seed"] = predictions["seed"].astype(str)
    table = run_selection_report(
        predictions,
        read_specs(snakemake.input.specs),
        model=snakemake.wildcards.model,
        table_out=snakemake.output.table,
        figure_stem=Path(snakemake.output.figure).with_suffix(""),
        upper=p.upper,
        n_resamples=settings.n_bootstrap,
        seed=settings.seed,
    )
    print(table.to_string())
