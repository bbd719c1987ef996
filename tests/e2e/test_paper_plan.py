"""The paper grid plans on a machine without data or GPUs: exact job counts per rule."""

import pytest

from snakemake_run import ROOT, job_stats, snakemake


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    work = tmp_path_factory.mktemp("paper")
    proc = snakemake(work, "--configfile", str(ROOT / "config/config.yaml"), "-n", "--quiet", "rules")
    return job_stats(proc.stdout + proc.stderr)


def test_training_and_evaluation_grid(plan):
    assert plan["train_lora"] == 3 * 13 * 4 == 156
    assert plan["eval_checkpoint"] == 156
    assert plan["eval_base"] == 3
    assert plan["encode_eval"] == 3  # questions preprocessed once per model, read by its 53 evaluations
    assert plan["eval_parity"] == 3  # evaluation.parity: each base model scored by letters and by generation
    assert plan["fetch_model"] == 3
    assert "build_tiny_model" not in plan
    assert plan["collect_accuracies"] == 1 and plan["analyze"] == 1 and plan["all"] == 1
    assert plan["data_cards"] == 1 and plan["analysis_tables"] == 1  # raw mode: one report page of all training splits' cards
