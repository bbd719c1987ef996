"""Entry point of rule encode_eval: preprocess a model's evaluation questions once (logic: tasktransfer.evaluate.encoded)."""

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.evaluate.encoded import write_encoded

    for split, out in zip(snakemake.input.splits, snakemake.output.encoded, strict=True):
        write_encoded(out, split, snakemake.params.base_model)
