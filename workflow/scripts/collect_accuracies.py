"""Entry point of rule collect_accuracies (logic: tasktransfer.evaluate.collect)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.evaluate.collect import collect

    collect(
        accuracy_files=snakemake.input.accuracy,
        prediction_files=snakemake.input.predictions,
        accuracy_out=snakemake.output.accuracy,
        predictions_out=snakemake.output.predictions,
    )
