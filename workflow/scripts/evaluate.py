"""Entry point of rules eval_base, eval_checkpoint and eval_model_shared (logic: tasktransfer.evaluate)."""

from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    from tasktransfer.evaluate.generate import generation_settings

    splits = dict(zip(snakemake.params.tasks, snakemake.input.splits))
    settings = dict(snakemake.params.settings)
    generation = generation_settings(settings)  # None: letter scoring
    # letter scoring reads the encode_eval tensors; generation mode has none (its prompt differs)
    encoded = dict(zip(snakemake.params.tasks, snakemake.input.encoded)) if generation is None else None
    if snakemake.rule == "eval_model_shared":
        from tasktransfer.evaluate.multi import Source, evaluate_many_cached

        model = snakemake.wildcards.model
        jobs = []
        for (source, seed), pred, acc in zip(snakemake.params.sources, snakemake.output.predictions,
                                             snakemake.output.accuracy):
            adapter = None if source == "base" else Path(f"results/checkpoints/{model}/{source}/seed{seed}")
            jobs.append((Source(source, seed, adapter), pred, acc))
        evaluate_many_cached(
            base_model=snakemake.params.base_model,
            eval_splits=splits,
            jobs=jobs,
            model_name=model,
            cache_root=Path(snakemake.output.accuracy[0]).parents[2].parent / ".evalcache" / model,
            settings=settings,
            batch_size=settings["batch_size"],
            encoded_inputs=encoded,
            generation=generation,
        )
    else:
        from tasktransfer.evaluate.run import evaluate_checkpoint

        adapter = snakemake.input.get("adapter")
        evaluate_checkpoint(
            base_model=snakemake.params.base_model,
            eval_splits=splits,
            predictions_out=snakemake.output.predictions,
            accuracy_out=snakemake.output.accuracy,
            model_name=snakemake.wildcards.model,
            source=snakemake.wildcards.get("task", "base"),
            seed=snakemake.wildcards.get("seed", ""),
            adapter=Path(adapter).parent if adapter else None,
            batch_size=settings["batch_size"],
            encoded_inputs=encoded,
            generation=generation,
        )
