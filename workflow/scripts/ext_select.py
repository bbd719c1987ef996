"""Entry point of checkpoint ext_select (logic: tasktransfer.extensions.pipeline.run_selection)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.extensions.pipeline import direct_counts, run_selection

    from tasktransfer.extensions.settings import SelectionSettings

    p = snakemake.params
    settings = SelectionSettings(**p.settings)
    counts = direct_counts(dict(zip(p.targets, snakemake.input.splits)), p.caps)
    specs = run_selection(
        pgf_matrix=p.pgf,
        out_dir=snakemake.output[0],
        settings=settings,
        tasks=p.tasks,
        counts=counts,
        qvalues=p.significance,
        qvalue_column="q_value",
    )
    for spec in specs:
        print(spec.name, list(spec.tasks) or spec.details.get("skipped"), spec.budget)
