"""Entry point of rule eval_parity (logic: tasktransfer.evaluate.parity)."""

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.evaluate.parity import run_parity

    settings = dict(snakemake.params.settings)
    run_parity(
        base_model=snakemake.params.base_model,
        eval_splits=dict(zip(snakemake.params.tasks, snakemake.input.splits)),
        model_name=snakemake.wildcards.model,
        table_out=snakemake.output.table,
        generations_out=snakemake.output.generations,
        html_out=snakemake.output.html,
        batch_size=settings["batch_size"],
        max_new_tokens=settings["max_new_tokens"],
        encoded_inputs=dict(zip(snakemake.params.tasks, snakemake.input.encoded)),
    )
