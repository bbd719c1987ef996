"""Entry point of rule train_lora (logic: tasktransfer.train)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.train.trainer import settings_from_params, train_lora

    metrics = train_lora(
        base_model=snakemake.params.base_model,
        train_split=snakemake.input.split,
        out_dir=Path(snakemake.output.adapter).parent,
        settings=settings_from_params(snakemake.params.settings),
        seed=int(snakemake.wildcards.seed),
        extra_metrics={"model": snakemake.wildcards.model, "task": snakemake.wildcards.task},
    )
    print(f"trained {metrics['global_steps']} steps, loss {metrics['train_loss']:.4f}")
