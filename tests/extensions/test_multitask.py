"""VITW / EW / TLA specs for balanced multi-task training."""

from __future__ import annotations

import pytest

from tasktransfer.extensions.multitask import balance_specs

TASKS = ["a", "b", "c"]
EXAMPLES = {"a": 30, "b": 20, "c": 10}
WEIGHTS = {"a": 0.8, "b": 1.5, "c": 0.7}


def test_three_runs_differ_only_in_weights_and_aggregation():
    vitw, ew, tla = balance_specs(TASKS, EXAMPLES, WEIGHTS, seed=3, details={"visatb": "x"})
    assert [s.strategy for s in (vitw, ew, tla)] == ["vitw", "ew", "tla"]
    for s in (vitw, ew, tla):
        assert s.tasks == tuple(TASKS) and s.examples == EXAMPLES and s.budget == 60 and s.seed == 3
    assert vitw.loss_weights == WEIGHTS and vitw.loss_aggregation == "token"
    assert ew.loss_weights == {t: 1.0 for t in TASKS} and ew.loss_aggregation == "token"
    assert tla.loss_weights == {t: 1.0 for t in TASKS} and tla.loss_aggregation == "task"
    assert vitw.details == {"visatb": "x"} and ew.details == {}
    assert [s.to_mixture_config()["loss"] for s in (vitw, ew, tla)] == ["vitw", "vitw", "tla"]


def test_missing_weight_and_unknown_strategy():
    with pytest.raises(KeyError, match=r"no VisATB weight for task\(s\) \['c'\]"):
        balance_specs(TASKS, EXAMPLES, {"a": 1.0, "b": 1.0}, seed=0)
    with pytest.raises(ValueError, match=r"unknown balancing strategy \['rlw'\]"):
        balance_specs(TASKS, EXAMPLES, WEIGHTS, seed=0, strategies=["rlw"])


def test_ew_spec_gives_exactly_the_plain_token_mean():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    import torch.nn.functional as F

    from tasktransfer.train.weighted_loss import IGNORE_INDEX, shifted_labels, vitw_loss

    ew = balance_specs(TASKS, EXAMPLES, WEIGHTS, seed=0)[1]
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 11, generator=g)
    labels = torch.randint(0, 11, (3, 6), generator=g)
    labels[0, :3] = IGNORE_INDEX
    labels[2, :5] = IGNORE_INDEX
    cfg = ew.to_mixture_config()
    weights = torch.tensor([cfg["tasks"][t]["weight"] for t in TASKS])  # one example per task
    plain = F.cross_entropy(logits.reshape(-1, 11), shifted_labels(labels).reshape(-1), ignore_index=IGNORE_INDEX)
    assert torch.equal(vitw_loss(logits, labels, weights), plain)
