"""Entry point of rule train_lora (logic: tasktransfer.train).

Trains in-process on CPU or one GPU; with several GPUs (resources: gpu) or DeepSpeed it
re-launches itself under torchrun, one process per GPU. Resumable checkpoints live in
results/.resume/{model}/{task}/seed{seed}/ (outside the declared outputs, which Snakemake
deletes before a run); a SIGTERM saves one and exits 143 so a retry/requeue resumes.
"""

import sys
from pathlib import Path

from tasktransfer.workflow_io import job_logging, set_torch_threads

with job_logging(snakemake.log[0], threads=snakemake.threads):
    set_torch_threads(snakemake.threads)
    import torch

    from tasktransfer.config.resolve import train_runtime_options
    from tasktransfer.train.launch import launch
    from tasktransfer.train.resume import resume_dir

    w = snakemake.wildcards
    out_dir = Path(snakemake.output.adapter).parent
    results = out_dir.parents[3]  # results/checkpoints/{model}/{task}/seed{seed}
    n_gpus = int(snakemake.resources.get("gpu", 0) or 0) if torch.cuda.is_available() else 0
    job = {
        "base_model": str(snakemake.params.base_model),
        "train_split": str(snakemake.input.split),
        "out_dir": str(out_dir),
        "params": {**snakemake.params.settings, **train_runtime_options(snakemake.config)},
        "seed": int(w.seed),
        "extra_metrics": {"model": w.model, "task": w.task},
        "resume_root": str(resume_dir(results, w.model, w.task, int(w.seed))),
    }
    code = launch(job, n_gpus)
    if code:
        print(f"[train] exiting with code {code}", flush=True)
        sys.exit(code)
    print(f"[train] adapter written to {out_dir}", flush=True)
