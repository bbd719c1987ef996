"""What the evaluation settings rerun, planned by dry runs on a run marked complete (seconds).

`evaluation.scoring`, `parser` and `max_new_tokens` live in the evaluation jobs' params
only in generation mode (src/tasktransfer/config/resolve.py): switching scoring, or
changing the parser or the cap while generating, reruns every evaluation and what
follows, never training or encode_eval; in letter mode the generation settings rerun
nothing. `evaluation.parity` adds one eval_parity job per model, which reads the cap and
not the scoring or the parser. The runs are touched, not executed
(conftest.touch_complete): Snakemake's own triggers decide, on the workflow's real rules.
"""

from __future__ import annotations

SEEDS = ("0", "1")
TASKS = ("Counting", "Jigsaw")
AGGREGATION = {"collect_accuracies", "analyze", "analysis_tables", "run_manifest"}
PER_CHECKPOINT = ({"eval_base[model=tiny]"}
                  | {f"eval_checkpoint[model=tiny,seed={s},task={t}]" for t in TASKS for s in SEEDS})


def evaluation(work, **changes) -> dict:
    config = work.config()
    config["evaluation"] = {**config["evaluation"], **changes}
    return config


def test_switching_to_generation_reruns_every_evaluation_and_what_follows(touched):
    work = touched()
    assert work.planned(evaluation(work, scoring="generate")) == PER_CHECKPOINT | AGGREGATION


def test_generation_settings_rerun_nothing_while_scoring_letters(touched):
    work = touched()
    assert work.planned(evaluation(work, scoring="letter", parser="blink", max_new_tokens=7)) == set()


def test_parser_and_cap_rerun_evaluations_while_generating(touched, touch):
    work = touched()
    generating = evaluation(work, scoring="generate")
    touch(work, generating)
    assert work.planned(evaluation(work, scoring="generate", parser="blink")) == PER_CHECKPOINT | AGGREGATION
    assert work.planned(evaluation(work, scoring="generate", max_new_tokens=16)) == PER_CHECKPOINT | AGGREGATION
    assert work.planned(evaluation(work, scoring="letter")) == PER_CHECKPOINT | AGGREGATION


def test_parity_adds_its_jobs_and_reads_only_the_cap(touched, touch):
    work = touched()
    parity = evaluation(work, parity=True)
    assert work.planned(parity) == {"eval_parity[model=tiny]", "run_manifest"}
    touch(work, parity)
    assert work.planned(evaluation(work, parity=True, parser="blink")) == set()
    assert work.planned(evaluation(work, parity=True, max_new_tokens=16)) == {"eval_parity[model=tiny]",
                                                                               "run_manifest"}
    assert work.planned(evaluation(work, parity=True, scoring="generate")) == PER_CHECKPOINT | AGGREGATION


def test_shared_mode_switches_to_generation_in_its_one_job(touched):
    work = touched("shared")
    config = evaluation(work, mode="shared", scoring="generate")
    assert work.planned(config) == {"eval_model_shared[model=tiny]"} | AGGREGATION
