"""Entry point of rule ext_prep_specs: the VisATB preparation runs (mini subsets)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.atomic import atomic_dir
    from tasktransfer.extensions.pipeline import direct_counts, prep_specs
    from tasktransfer.extensions.spec import write_spec

    from tasktransfer.extensions.settings import BalanceSettings

    p = snakemake.params
    settings = BalanceSettings(**p.settings)
    counts = direct_counts(dict(zip(p.tasks, snakemake.input.splits)), p.caps)
    with atomic_dir(snakemake.output[0]) as tmp:
        for spec in prep_specs(p.tasks, counts, settings):
            write_spec(tmp / f"{spec.name}.json", spec)
            print(spec.name, dict(spec.examples))
