"""Entry point of rule ext_eval_mixture (logic: tasktransfer.evaluate); source = the run name."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.evaluate.generate import generation_settings
    from tasktransfer.evaluate.run import evaluate_checkpoint

    generation = generation_settings(snakemake.params.settings)  # None: letter scoring
    evaluate_checkpoint(
        base_model=snakemake.params.base_model,
        eval_splits=dict(zip(snakemake.params.tasks, snakemake.input.splits)),
        predictions_out=snakemake.output.predictions,
        accuracy_out=snakemake.output.accuracy,
        model_name=snakemake.wildcards.model,
        source=snakemake.wildcards.run,
        seed=snakemake.wildcards.seed,
        adapter=Path(snakemake.input.adapter).parent,
        batch_size=snakemake.params.settings["batch_size"],
        encoded_inputs=dict(zip(snakemake.params.tasks, snakemake.input.encoded)) if generation is None else None,
        generation=generation,
    )
