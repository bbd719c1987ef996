"""Entry point of rule fetch_model: download a hub model once for offline jobs."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.model.fetch import fetch_model

    fetch_model(snakemake.params.hub_id, snakemake.params.out_dir)
