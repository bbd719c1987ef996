"""The analysis entry points: accuracy tables (or released PGF files) in, every output out.

Outputs are written into a temporary directory that is renamed onto ``out_dir`` only
when everything exists, so a failed analysis never leaves a partial result directory.

Layout (``<model>`` = model name from the table, or NAME of ``--pgf-csv NAME=PATH``)::

    out_dir/settings.json                 resolved settings + package version (provenance)
    out_dir/<model>/pgf_seed.csv          per-seed PGF, long
    out_dir/<model>/pgf_summary.csv       seed mean, std, n, min, max, ceiling flags
    out_dir/<model>/pgf_matrix.csv        rows source, columns target, seed mean
    out_dir/<model>/transferability.csv   task, delta_pos, delta_neg, n_pos, n_neg
    out_dir/<model>/malleability.csv      same columns, per target
    out_dir/<model>/cliques.json          {"positive": [[...]], "negative": [[...]]}
    out_dir/<model>/knife_edge.csv        cells whose sign rests on rounding or one seed
    out_dir/<model>/seed_tests.csv        Wilcoxon (with its minimum attainable p) and t-test over seed values
    out_dir/<model>/significance.csv      (with predictions) seeds x questions test, q-values, CIs,
                                          and the given adapters' question-level test
    out_dir/<model>/cliques_significant.json, transferability_significant.csv,
                    malleability_significant.csv   (with predictions)
    out_dir/<model>/lora_similarity.csv   (with adapters)
    out_dir/personas.csv, trends.csv, categories.csv   (across models)
    out_dir/category_malleability.csv     (across models) what each category receives
    out_dir/personas_significant.csv      (with predictions)
    out_dir/figures/...                   PNG + PDF of every figure
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import polars as pl

import tasktransfer
from tasktransfer.analysis import io
from tasktransfer.analysis.categories import category_malleability, category_transfer
from tasktransfer.analysis.cliques import all_cliques
from tasktransfer.analysis.figures.categories import category_heatmaps
from tasktransfer.analysis.figures.graphs import clique_graphs, transfer_graph
from tasktransfer.analysis.figures.heatmap import pgf_heatmap
from tasktransfer.analysis.figures.lora import similarity_heatmap
from tasktransfer.analysis.figures.personas import persona_chart
from tasktransfer.analysis.figures.surface import pgf_surface
from tasktransfer.analysis.figures.trends import trend_figure
from tasktransfer.analysis.knife_edge import knife_edge_report
from tasktransfer.analysis.lora_similarity import lora_similarity
from tasktransfer.analysis.personas import assign_personas, describe
from tasktransfer.analysis.pgf import Matrix, compute_pgf, seed_values, summarise_float_pgf, to_matrix
from tasktransfer.analysis.settings import AnalysisSettings
from tasktransfer.analysis.stats import cell_tests, seed_tests, significance_mask
from tasktransfer.analysis.transfer import malleability, transferability
from tasktransfer.analysis.trends import trends
from tasktransfer.atomic import atomic_dir, write_json

PathLike = str | os.PathLike[str]
log = logging.getLogger(__name__)


@dataclass
class ModelAnalysis:
    """Every per-model result, kept together so cross-model outputs can use them."""

    name: str
    per_seed: pl.DataFrame
    summary: pl.DataFrame
    matrix: Matrix
    transfer: pl.DataFrame
    malleability: pl.DataFrame
    cliques: dict[str, list[list[str]]]
    knife_edge: pl.DataFrame
    seed_tests: pl.DataFrame
    tests: pl.DataFrame | None = None
    significant: dict[str, Any] = field(default_factory=dict)


def analyse_model(
    name: str, per_seed: pl.DataFrame, summary: pl.DataFrame, cfg: AnalysisSettings, predictions: pl.DataFrame | None = None
) -> ModelAnalysis:
    """All per-model quantities from a model's per-seed and summary PGF frames."""
    matrix = to_matrix(summary, cfg.tasks)
    values = seed_values(per_seed, cfg)
    result = ModelAnalysis(
        name=name,
        per_seed=per_seed,
        summary=summary,
        matrix=matrix,
        transfer=transferability(matrix, cfg.include_diagonal, cfg.logistic_n),
        malleability=malleability(matrix, cfg.include_diagonal, cfg.logistic_n),
        cliques=all_cliques(matrix),
        knife_edge=knife_edge_report(
            values, matrix, zero_tolerance=cfg.zero_tolerance, leave_one_seed_out=cfg.leave_one_seed_out,
            include_diagonal=cfg.include_diagonal,
        ),
        seed_tests=seed_tests(values, cfg.significance.correction, cfg.significance.alpha, cfg.include_diagonal),
    )
    if predictions is not None:
        tests = cell_tests(predictions, name, cfg)
        result.tests = tests
        mask = significance_mask(tests, matrix.sources, matrix.targets)
        # Non-significant cells count as no transfer (0) for the significant-only quantities.
        sig_matrix = Matrix(np.where(mask | ~np.isfinite(matrix.values), matrix.values, 0.0), matrix.sources, matrix.targets)
        sq = matrix.square()
        sq_mask = significance_mask(tests, sq.sources, sq.targets)
        result.significant = {
            "cliques": all_cliques(matrix, keep=sq_mask) if cfg.significance.filter_cliques else None,
            "transfer": transferability(sig_matrix, cfg.include_diagonal, cfg.logistic_n),
            "malleability": malleability(sig_matrix, cfg.include_diagonal, cfg.logistic_n),
        }
    return result


def _write_model(result: ModelAnalysis, out: Path, cfg: AnalysisSettings) -> None:
    model_dir = out / io.check_model_name(result.name, "analysis")
    figures = out / "figures"
    io.write_csv(result.per_seed, model_dir / "pgf_seed.csv")
    io.write_csv(result.summary, model_dir / "pgf_summary.csv")
    io.write_csv(result.matrix.to_frame(), model_dir / "pgf_matrix.csv")
    io.write_csv(result.transfer, model_dir / "transferability.csv")
    io.write_csv(result.malleability, model_dir / "malleability.csv")
    write_json(model_dir / "cliques.json", result.cliques)
    io.write_csv(result.knife_edge, model_dir / "knife_edge.csv")
    io.write_csv(result.seed_tests, model_dir / "seed_tests.csv")
    if result.tests is not None:
        io.write_csv(result.tests, model_dir / "significance.csv")
        io.write_csv(result.significant["transfer"], model_dir / "transferability_significant.csv")
        io.write_csv(result.significant["malleability"], model_dir / "malleability_significant.csv")
        if result.significant["cliques"] is not None:
            write_json(model_dir / "cliques_significant.json", result.significant["cliques"])
    if not cfg.figures:
        return
    name = result.name
    pgf_heatmap(result.matrix, f"PGF, {name} (mean over seeds)", figures / f"{name}_pgf_heatmap")
    transfer_graph(result.matrix, cfg.graph_threshold, f"Task-transfer graph, {name}", figures / f"{name}_transfer_graph")
    clique_graphs(result.matrix, result.cliques, f"Maximal cliques, {name}", figures / f"{name}_cliques")


def _category_table(results: list[ModelAnalysis], cfg: AnalysisSettings, table) -> pl.DataFrame:
    """One category table (transfer or malleability) over every model, with a model column."""
    frames = [
        table(r.matrix, cfg.categories, cfg.include_diagonal, cfg.logistic_n).with_columns(pl.lit(r.name).alias("model"))
        for r in results
    ]
    if frames and cfg.categories:
        return pl.concat(frames).select("model", pl.exclude("model"))
    return pl.DataFrame(schema={"model": pl.String, "scheme": pl.String})


def _write_across(results: list[ModelAnalysis], out: Path, cfg: AnalysisSettings) -> str:
    """Cross-model tables and figures; returns the persona description for the log."""
    names = [r.name for r in results]
    tables = {r.name: {"transferability": r.transfer, "malleability": r.malleability} for r in results}
    personas = assign_personas(tables, cfg.personas, names)
    io.write_csv(personas, out / "personas.csv")
    text = describe(personas)
    if all(r.tests is not None for r in results):
        sig_tables = {
            r.name: {"transferability": r.significant["transfer"], "malleability": r.significant["malleability"]}
            for r in results
        }
        io.write_csv(assign_personas(sig_tables, cfg.personas, names), out / "personas_significant.csv")
    trend = trends({r.name: r.transfer for r in results}, {r.name: r.malleability for r in results}, cfg.model_sizes)
    io.write_csv(trend, out / "trends.csv")
    categories = _category_table(results, cfg, category_transfer)
    io.write_csv(categories, out / "categories.csv")
    category_mall = _category_table(results, cfg, category_malleability)
    io.write_csv(category_mall, out / "category_malleability.csv")
    if not cfg.figures:
        return text
    figures = out / "figures"
    trend_figure(trend, {r.name: r.transfer for r in results}, figures / "transfer_trends")
    persona_chart(personas, cfg.personas.rule, figures / "personas")
    for scheme in cfg.categories:
        category_heatmaps(categories, scheme, figures / f"categories_{scheme}")
        category_heatmaps(category_mall, scheme, figures / f"category_malleability_{scheme}", malleability=True)
    pgf_surface(figures / "pgf_behaviour")
    return text


def _settings_record(cfg: AnalysisSettings) -> dict[str, Any]:
    def plain(x: Any) -> Any:
        if isinstance(x, Mapping):
            return {str(k): plain(v) for k, v in x.items()}
        if isinstance(x, (tuple, list)):
            return [plain(v) for v in x]
        return x

    return {"tasktransfer_version": tasktransfer.__version__, "settings": plain(dataclasses.asdict(cfg))}


def _write_lora(adapters: Mapping[str, Mapping[str, Sequence[PathLike]]], out: Path, cfg: AnalysisSettings) -> None:
    for model, by_task in adapters.items():
        ordered = {t: by_task[t] for t in cfg.tasks if t in by_task}
        unknown = sorted(set(by_task) - set(cfg.tasks))
        if unknown:
            raise ValueError(f"adapters: model {model!r} names unknown task(s) {unknown}; expected one of: {', '.join(cfg.tasks)}")
        tasks, sim = lora_similarity(ordered, cfg.lora_module, cfg.lora_layer)
        frame = Matrix(sim, tuple(tasks), tuple(tasks)).to_frame().rename({"source": "task"})
        io.write_csv(frame, out / io.check_model_name(model, "adapters") / "lora_similarity.csv")
        if not cfg.figures:
            continue
        where = {"all": "all layers (mean)", -1: "last layer"}.get(cfg.lora_layer, f"layer {cfg.lora_layer}")
        similarity_heatmap(
            sim, tasks, f"LoRA update cosine similarity, {model} ({cfg.lora_module}, {where})",
            out / "figures" / f"{model}_lora_similarity",
        )


def _write_all(
    results: list[ModelAnalysis], out_dir: PathLike, cfg: AnalysisSettings,
    adapters: Mapping[str, Mapping[str, Sequence[PathLike]]] | None,
) -> str:
    if not results:
        raise ValueError("analysis: no fine-tuned cells in the input; nothing to analyse")
    with atomic_dir(out_dir) as tmp:
        write_json(tmp / "settings.json", _settings_record(cfg))
        for result in results:
            _write_model(result, tmp, cfg)
        text = _write_across(results, tmp, cfg)
        if adapters:
            _write_lora(adapters, tmp, cfg)
    log.info("personas (%s rule):\n%s", cfg.personas.rule, text)
    log.info("analysis of %d model(s) written to %s", len(results), out_dir)
    return text


def run(
    accuracies: PathLike | list[PathLike],
    out_dir: PathLike,
    settings: Mapping[str, Any] | None = None,
    predictions: PathLike | list[PathLike] | None = None,
    adapters: Mapping[str, Mapping[str, Sequence[PathLike]]] | None = None,
) -> str:
    """Analyse long accuracy table(s) into ``out_dir`` (layout in the module docstring).

    Parameters
    ----------
    accuracies
        CSV/Parquet file(s) with columns model, source (task or ``base``), seed (empty
        for a single base), target, n_correct, n_total.
    out_dir
        Result directory; replaced atomically when the whole analysis succeeds.
    settings
        The config's ``analysis:`` mapping (keys and defaults: ``analysis/defaults.yaml``).
    predictions
        Optional per-question correctness file(s) (model, source, seed, target,
        question_id, correct) for McNemar tests, FDR control and bootstrap CIs.
    adapters
        Optional ``{model: {task: [adapter_dir, ... one per seed]}}`` for LoRA similarity.

    Returns
    -------
    str
        The persona lines (labels with per-model ranks), for logs.
    """
    cfg = AnalysisSettings.from_mapping(settings)
    acc = io.read_accuracies(accuracies, cfg.tasks)
    preds = io.read_predictions(predictions, cfg.tasks) if predictions is not None else None
    if preds is not None:
        io.check_counts_match(acc, preds)
    per_seed, summary = compute_pgf(acc, cfg)
    results = [
        analyse_model(
            model, per_seed.filter(pl.col("model") == model), summary.filter(pl.col("model") == model), cfg, preds
        )
        for model in summary["model"].unique(maintain_order=True).to_list()
    ]
    return _write_all(results, out_dir, cfg, adapters)


def run_released(
    pgf_csvs: Mapping[str, PathLike], out_dir: PathLike, settings: Mapping[str, Any] | None = None
) -> str:
    """Analyse the authors' released per-seed PGF CSVs, ``{model name: path}``, into ``out_dir``.

    There are no counts, so seed-means are float and |mean| <= ``knife_edge.tolerance``
    counts as exactly 0; no per-question statistics are possible.
    """
    cfg = AnalysisSettings.from_mapping(settings)
    results = []
    for name, path in pgf_csvs.items():
        io.check_model_name(name, "--pgf-csv")
        released = io.read_released_pgf(path, cfg.tasks)
        per_seed = released.select(pl.lit(name).alias("model"), "source", "seed", "target", "pgf")
        summary = summarise_float_pgf(released, name, cfg)
        results.append(analyse_model(name, per_seed, summary, cfg))
    return _write_all(results, out_dir, cfg, None)
