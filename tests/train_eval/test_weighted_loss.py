"""VITW / TLA losses against the Hugging Face causal-LM loss and by hand."""

import pytest
import torch
from transformers.loss.loss_utils import ForCausalLMLoss

from tasktransfer.train.weighted_loss import tla_loss, token_losses, vitw_loss, weighted_token_count

torch.set_num_threads(1)
V = 11


def _batch(seed=0, b=4, t=7):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(b, t, V, generator=g)
    labels = torch.randint(0, V, (b, t), generator=g)
    labels[:, :3] = -100  # prompt tokens
    labels[1, 5:] = -100  # a shorter answer
    return logits, labels


def test_all_ones_weights_equal_hf_loss():
    for seed in range(5):
        logits, labels = _batch(seed)
        hf = ForCausalLMLoss(logits, labels, vocab_size=V)
        ours = vitw_loss(logits, labels, torch.ones(labels.shape[0]))
        assert torch.equal(ours, hf), (ours.item(), hf.item())
        n = labels[:, 1:].ne(-100).sum()
        hf_sum = ForCausalLMLoss(logits, labels, vocab_size=V, num_items_in_batch=n)
        assert torch.equal(vitw_loss(logits, labels, torch.ones(4), denominator=n.float()), hf_sum)


def test_constant_weight_is_scale_free():
    logits, labels = _batch(1)
    a = vitw_loss(logits, labels, torch.full((4,), 3.0))
    b = vitw_loss(logits, labels, torch.ones(4))
    torch.testing.assert_close(a, b)


def test_matches_formula_by_hand():
    logits, labels = _batch(2)
    w = torch.tensor([0.5, 2.0, 1.0, 0.0])
    losses, mask = token_losses(logits, labels)
    num = sum(w[i] * losses[i][mask[i]].sum() for i in range(4))
    den = sum(w[i] * mask[i].sum() for i in range(4))
    torch.testing.assert_close(vitw_loss(logits, labels, w), num / den)
    torch.testing.assert_close(weighted_token_count(labels, w), den.float())


def test_zero_weight_removes_gradient_of_that_task():
    logits, labels = _batch(3)
    logits.requires_grad_(True)
    w = torch.tensor([1.0, 0.0, 1.0, 0.0])  # rows 1 and 3 belong to a task weighted 0
    vitw_loss(logits, labels, w).backward()
    assert torch.count_nonzero(logits.grad[1]) == 0
    assert torch.count_nonzero(logits.grad[3]) == 0
    assert torch.count_nonzero(logits.grad[0]) > 0
    # and the loss equals the loss of the other rows alone
    keep = torch.tensor([0, 2])
    torch.testing.assert_close(
        vitw_loss(logits.detach(), labels, w), ForCausalLMLoss(logits.detach()[keep], labels[keep], vocab_size=V)
    )


def test_all_zero_weights_give_zero_loss_with_a_graph():
    logits, labels = _batch(4)
    logits.requires_grad_(True)
    loss = vitw_loss(logits, labels, torch.zeros(4))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.count_nonzero(logits.grad) == 0


def test_accumulated_microbatches_equal_one_big_batch():
    logits, labels = _batch(5, b=6)
    w = torch.tensor([1.0, 2.0, 0.5, 1.0, 3.0, 0.0])
    full = vitw_loss(logits, labels, w)
    den = weighted_token_count(labels, w)
    parts = sum(vitw_loss(logits[s], labels[s], w[s], denominator=den) for s in (slice(0, 2), slice(2, 6)))
    torch.testing.assert_close(parts, full)


def test_per_token_weights_and_bad_shapes():
    logits, labels = _batch(6)
    per_token = torch.ones_like(labels, dtype=torch.float32) * torch.tensor([1.0, 2.0, 1.0, 1.0])[:, None]
    torch.testing.assert_close(
        vitw_loss(logits, labels, per_token), vitw_loss(logits, labels, torch.tensor([1.0, 2.0, 1.0, 1.0]))
    )
    with pytest.raises(ValueError, match="3 example weights for a batch of 4"):
        vitw_loss(logits, labels, torch.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        vitw_loss(logits, labels, -torch.ones(4))


def test_tla_averages_tasks_not_tokens():
    logits, labels = _batch(7)
    tasks = torch.tensor([0, 0, 1, 1])
    losses, mask = token_losses(logits, labels)
    l0 = losses[:2][mask[:2]].mean()
    l1 = losses[2:][mask[2:]].mean()
    torch.testing.assert_close(tla_loss(logits, labels, tasks), (l0 + l1) / 2)
    torch.testing.assert_close(tla_loss(logits, labels, tasks, {0: 3.0, 1: 1.0}), (3 * l0 + l1) / 4)
    # one task only: TLA equals the token mean
    torch.testing.assert_close(tla_loss(logits, labels, torch.zeros(4, dtype=torch.long)), vitw_loss(logits, labels, torch.ones(4)))


def test_all_ones_weights_give_identical_gradients():
    logits, labels = _batch(8)
    a = logits.clone().requires_grad_(True)
    b = logits.clone().requires_grad_(True)
    ForCausalLMLoss(a, labels, vocab_size=V).backward()
    vitw_loss(b, labels, torch.ones(4)).backward()
    assert torch.equal(a.grad, b.grad)


def test_many_distinct_token_weights_use_the_elementwise_path():
    logits, labels = _batch(9, b=4, t=40)
    w = torch.rand(labels.shape, generator=torch.Generator().manual_seed(0)) + 0.1
    losses, mask = token_losses(logits, labels)
    torch.testing.assert_close(vitw_loss(logits, labels, w), (w * losses * mask).sum() / (w * mask).sum())


def test_tla_over_microbatches_equals_tla_of_the_whole_batch():
    from tasktransfer.train.weighted_loss import task_token_counts, tla_as_token_weights

    logits, labels = _batch(10, b=6)
    tasks = torch.tensor([0, 1, 0, 2, 1, 0])
    weights = torch.tensor([1.0, 2.0, 0.5])
    parts = [slice(0, 2), slice(2, 4), slice(4, 6)]
    batches = [{"labels": labels[s], "task_ids": tasks[s]} for s in parts]
    counts = sum(task_token_counts(b["labels"], b["task_ids"], 3) for b in batches)
    den = tla_as_token_weights(batches, weights, counts)
    total = sum(vitw_loss(logits[s], b["labels"], b["loss_weights"], denominator=den) for s, b in zip(parts, batches))
    expected = tla_loss(logits, labels, tasks, {0: 1.0, 1: 2.0, 2: 0.5})
    torch.testing.assert_close(total, expected)
