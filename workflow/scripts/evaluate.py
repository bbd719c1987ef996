"""Entry point of rules eval_base and eval_checkpoint (logic: tasktransfer.evaluate)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.evaluate.run import evaluate_checkpoint

    adapter = snakemake.input.get("adapter")
    evaluate_checkpoint(
        base_model=snakemake.params.base_model,
        eval_splits=dict(zip(snakemake.params.tasks, snakemake.input.splits)),
        predictions_out=snakemake.output.predictions,
        accuracy_out=snakemake.output.accuracy,
        model_name=snakemake.wildcards.model,
        source=snakemake.wildcards.get("task", "base"),
        seed=snakemake.wildcards.get("seed", ""),
        adapter=Path(adapter).parent if adapter else None,
        batch_size=snakemake.params.settings["batch_size"],
    )
