"""Entry point of rule run_manifest (logic: tasktransfer.provenance)."""

import os
from pathlib import Path

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.atomic import write_json, write_text
    from tasktransfer.provenance import build_manifest, discover_benchmarks, render_html

    p = snakemake.params
    known = list(snakemake.input.benchmarks)
    # Benchmarks of the other rules (data builders, aggregation) sit beside the GPU jobs'.
    root = os.path.commonpath([os.path.dirname(os.path.dirname(b)) for b in known])
    jobs = list(p.jobs) + discover_benchmarks(root, known, gpus=p.ext_gpus)
    manifest = build_manifest(
        dict(snakemake.config),
        repo_root=Path(snakemake.scriptdir).parents[1],  # git state of this checkout
        jobs=jobs,
        splits=snakemake.input.splits,
        raw_inputs=p.raw_inputs,
        checkpoints=snakemake.input.adapters,
        slurm_logdir=p.slurm_logdir,
        checksum_cache=p.checksum_cache,
    )
    write_json(snakemake.output.json, manifest)
    write_text(snakemake.output.html, render_html(manifest))
    print(f"manifest: {len(manifest['jobs'])} jobs, {len(manifest['slurm_job_ids'])} Slurm jobs")
