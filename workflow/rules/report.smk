# The run manifest (provenance of every result), shown in the Snakemake report.
#   snakemake results/provenance/manifest.json
#   snakemake --report results/report.html      (after a run)

from tasktransfer.provenance.workflow import (
    extension_gpus,
    manifest_adapters,
    manifest_benchmarks,
    manifest_jobs,
    manifest_splits,
    raw_input_dirs,
)


rule run_manifest:
    """Provenance of this run: code, config, packages, hardware, jobs, checksums, seeds."""
    input:
        benchmarks=manifest_benchmarks(config),
        splits=manifest_splits(config),
        # checksummed in the manifest (and a new adapter reruns the manifest)
        adapters=manifest_adapters(config),
        accuracy="results/eval/accuracies.csv",
        analysis="results/analysis",
    output:
        json="results/provenance/manifest.json",
        html=report(
            "results/provenance/manifest.html",
            caption="../report/manifest.rst",
            category="Provenance",
            labels={"what": "run manifest"},
        ),
    log:
        "results/logs/run_manifest.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        jobs=manifest_jobs(config),
        ext_gpus=extension_gpus(config),
        raw_inputs=raw_input_dirs(config),
        slurm_logdir="logs/slurm",
        checksum_cache="results/provenance/.checksums.json",
    script:
        "../scripts/run_manifest.py"
