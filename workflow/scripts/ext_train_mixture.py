"""Entry point of rule ext_train_mixture: one LoRA on a mixture spec (logic: tasktransfer.train)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.config.resolve import train_runtime_options
    from tasktransfer.extensions.pipeline import mixture_train_params
    from tasktransfer.extensions.spec import read_spec
    from tasktransfer.train.mixture import components_from_config
    from tasktransfer.train.trainer import settings_from_params, train_lora

    spec = read_spec(snakemake.params.spec)
    mixture = spec.to_mixture_config()
    n_direct = int(spec.details.get("direct_examples", spec.budget))
    params = mixture_train_params(dict(snakemake.params.settings), n_direct, spec.budget)
    params["loss"] = mixture["loss"]  # vitw: weighted token mean; tla: task-level mean
    params.update(train_runtime_options(snakemake.config))  # packing, attention, checkpointing
    metrics = train_lora(
        base_model=snakemake.params.base_model,
        train_split=components_from_config(mixture["tasks"], dict(zip(snakemake.params.tasks, snakemake.input.splits))),
        out_dir=Path(snakemake.output.adapter).parent,
        settings=settings_from_params(params),
        seed=int(snakemake.wildcards.seed),
        extra_metrics={"model": snakemake.wildcards.model, "run": spec.name, "spec": spec.to_json()},
    )
    print(f"trained {metrics['global_steps']} steps, loss {metrics['train_loss']:.4f}")
