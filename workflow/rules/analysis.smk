rule collect_accuracies:
    """One long accuracy table (and per-question predictions) over every evaluation."""
    input:
        accuracy=get_accuracy_files(),
        predictions=get_prediction_files(),
    output:
        accuracy="results/eval/accuracies.csv",
        predictions="results/eval/predictions.parquet",
    log:
        "results/logs/collect_accuracies.log",
    benchmark:
        "results/benchmarks/collect_accuracies.tsv"
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/collect_accuracies.py"


rule analyze:
    """PGF matrices and every analysis of the transfer study (tasktransfer.analysis)."""
    input:
        accuracy="results/eval/accuracies.csv",
        predictions="results/eval/predictions.parquet",
        adapters=get_adapter_files(),
    output:
        report(
            directory("results/analysis"),
            patterns=["{name}.png"],
            caption="../report/analysis.rst",
            category="Transfer analysis",
            subcategory=get_analysis_report_subcategory,
            labels=get_analysis_report_labels,
        ),
    log:
        "results/logs/analyze.log",
    benchmark:
        "results/benchmarks/analyze.tsv"
    conda:
        "../../envs/analysis.yaml"
    params:
        settings=get_analysis_settings,
        adapters=get_adapter_dirs,
    script:
        "../scripts/analyze.py"


rule analysis_tables:
    """The analysis tables as report pages; the CSV and JSON files stay canonical."""
    input:
        "results/analysis",
    output:
        report(
            directory("results/report/analysis_tables"),
            patterns=["{name}.html"],
            caption="../report/analysis.rst",
            category="Transfer analysis",
            subcategory=get_analysis_report_subcategory,
            labels=get_analysis_report_labels,
        ),
    log:
        "results/logs/analysis_tables.log",
    benchmark:
        "results/benchmarks/analysis_tables.tsv"
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/analysis_tables.py"
