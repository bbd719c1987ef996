"""Where the base model is placed: one device, or sharded over a job's GPUs (32B evaluation)."""

import pytest
import torch

from tasktransfer.model.loading import load_model, placement


@pytest.mark.parametrize(("device", "visible", "expected"), [
    ("cpu", 0, {}),
    ("cuda", 1, {}),                       # 3B/7B evaluation: one GPU, whole model on it
    ("cuda", 2, {"device_map": "auto"}),   # 32B evaluation with eval_gpus: 2
    ("cuda:1", 4, {}),                     # a training rank pins its own GPU, never shards
])
def test_placement_shards_only_plain_cuda_over_several_gpus(device, visible, expected):
    assert placement(device, visible) == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error(tiny_model):
    with pytest.raises(RuntimeError, match="no CUDA GPU is visible"):
        load_model(tiny_model, device="cuda")


@pytest.mark.gpu
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA GPUs")
def test_sharded_evaluation_predicts_like_one_gpu(tiny_model, small_splits):
    """Layers spread over two GPUs give the letters one GPU gives (bf16 ties aside)."""
    from tasktransfer.evaluate.scoring import score_rows
    from tasktransfer.model.loading import load_processor
    from tasktransfer.splits import iter_split

    processor = load_processor(tiny_model)
    rows = list(iter_split(small_splits["Counting", "val"]))
    sharded = load_model(tiny_model, dtype="float32", device="cuda")
    assert len(set(sharded.hf_device_map.values())) == 2
    single = load_model(tiny_model, dtype="float32", device="cuda:0")
    got = [s.prediction for s in score_rows(sharded, processor, rows)]
    want = [s.prediction for s in score_rows(single, processor, rows)]
    assert got == want
