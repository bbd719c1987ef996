"""Entry point of rule build_tiny_model (logic: tasktransfer.model.tiny)."""

from tasktransfer.workflow_io import job_logging

with job_logging(snakemake.log[0]):
    from tasktransfer.model.tiny import build_tiny_model, tree_digest

    out = build_tiny_model(snakemake.params.out_dir, seed=snakemake.params.seed)
    print(f"built tiny Qwen2.5-VL in {out} (sha256 of tree {tree_digest(out)})")
