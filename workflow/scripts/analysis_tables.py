"""Entry point of rule analysis_tables (logic: tasktransfer.provenance.table_pages)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.provenance import write_table_pages

    pages = write_table_pages(snakemake.input[0], snakemake.output[0])
    print(f"analysis tables: {len(pages)} pages")
