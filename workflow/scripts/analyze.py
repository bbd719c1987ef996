"""Entry point of rule analyze (logic: tasktransfer.analysis.pipeline)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.analysis.pipeline import run

    settings = dict(snakemake.params.settings)
    settings.pop("code_version", None)  # a rerun trigger only (tasktransfer.versions)
    run(
        accuracies=snakemake.input.accuracy,
        out_dir=snakemake.output[0],
        settings=settings,
        predictions=snakemake.input.predictions,
        adapters=snakemake.params.adapters,
    )
