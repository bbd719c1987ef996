# tasktransfer: fine-tune a VLM on one perception task, evaluate on all, measure transfer.
#
# results/
#   models/<model>/                      base model (built tiny model or hub download)
#   data/train/<task>.parquet            canonical multiple-choice training splits
#   data/eval/<task>.parquet             evaluation splits (BLINK val)
#   checkpoints/<model>/<task>/seed<s>/  one LoRA adapter per (model, task, seed)
#   eval/<model>/base/                   base model predictions + accuracy
#   eval/<model>/<task>/seed<s>/         fine-tuned predictions + accuracy
#   analysis/                            accuracy table, PGF matrices, analyses, figures
#   report/analysis_tables/              the analysis tables as HTML pages for the report
#   data/cards.html                      data cards of the raw-built training splits (report)
#   logs/, benchmarks/                   per-job logs and resource usage
#
# Run:  snakemake --configfile config/demo.yaml --cores 2        (embedded default)
#       snakemake --profile profiles/slurm                        (cluster, config/config.yaml)

import os

from snakemake.utils import min_version

min_version("9.20")


# config/config.yaml is the default; a --configfile given on the command line replaces it
# (Snakemake would otherwise merge the two, mixing the paper's models into a demo).
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config", "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/eval.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/extensions.smk"


rule all:
    default_target: True
    input:
        get_final_outputs(),
