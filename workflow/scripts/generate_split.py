"""Entry point of rule generate_split (logic: tasktransfer.demo.synthetic)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.demo.synthetic import write_generated_split

    n = write_generated_split(
        task=snakemake.wildcards.task,
        split=snakemake.wildcards.split,
        spec=snakemake.params.spec,
        out=snakemake.output[0],
    )
    print(f"wrote {n} examples to {snakemake.output[0]}")
