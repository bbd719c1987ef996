"""LoRA update similarity on small synthetic peft adapter files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tasktransfer.analysis.lora_similarity import load_deltas, lora_similarity


def test_delta_is_b_at_a_times_alpha_over_r(lora_kit, tmp_path):
    write_adapter, ab, PREFIX = lora_kit.write, lora_kit.ab, lora_kit.prefix
    a, b = ab(0)
    d = load_deltas(write_adapter(tmp_path / "x", {0: (a, b), 1: ab(1)}))
    assert sorted(d) == [0, 1]
    np.testing.assert_allclose(d[0], b @ a * 2.0)


def test_rank_pattern_and_rslora(lora_kit, tmp_path):
    write_adapter, ab, PREFIX = lora_kit.write, lora_kit.ab, lora_kit.prefix
    a, b = ab(0)
    d = load_deltas(write_adapter(tmp_path / "x", {0: (a, b)}, r=2, alpha=4, rank_pattern={"o_proj": 4}))
    np.testing.assert_allclose(d[0], b @ a * 1.0)
    d = load_deltas(write_adapter(tmp_path / "y", {0: (a, b)}, r=4, alpha=4, use_rslora=True))
    np.testing.assert_allclose(d[0], b @ a * 2.0)


def test_similarity_signs_and_seed_average(lora_kit, tmp_path):
    write_adapter, ab, PREFIX = lora_kit.write, lora_kit.ab, lora_kit.prefix
    a, b = ab(0)
    o1, o2 = ab(5), ab(6)
    adapters = {
        "Counting": [write_adapter(tmp_path / "c0", {0: o1, 1: (a, b)}), write_adapter(tmp_path / "c1", {0: o2, 1: (a, b)})],
        "Jigsaw": [write_adapter(tmp_path / "j0", {0: o2, 1: (a, b)}), write_adapter(tmp_path / "j1", {0: o1, 1: (a, -b)})],
        "Art_Style": [write_adapter(tmp_path / "s0", {0: o1, 1: (a, -b)}, alpha=8)],
    }
    tasks, sim = lora_similarity(adapters)  # last layer (1)
    assert tasks == ["Counting", "Jigsaw", "Art_Style"]
    assert np.allclose(np.diag(sim), 1.0) and np.allclose(sim, sim.T)
    assert sim[0, 1] == pytest.approx(0.0)  # seed 0: +1, seed 1: -1
    assert sim[0, 2] == pytest.approx(-1.0)  # only one matched seed; scale does not matter
    _, first = lora_similarity(adapters, layer=0)
    cos = float(np.sum((o1[1] @ o1[0]) * (o2[1] @ o2[0])) / np.linalg.norm(o1[1] @ o1[0]) / np.linalg.norm(o2[1] @ o2[0]))
    assert first[0, 1] == pytest.approx(cos, abs=1e-6)
    _, both = lora_similarity(adapters, layer="all")
    assert both[0, 2] == pytest.approx((first[0, 2] + sim[0, 2]) / 2)


def test_errors(lora_kit, tmp_path):
    write_adapter, ab, PREFIX = lora_kit.write, lora_kit.ab, lora_kit.prefix
    with pytest.raises(FileNotFoundError, match=r"adapter_model\.safetensors: no such file"):
        load_deltas(tmp_path)
    path = write_adapter(tmp_path / "x", {0: ab(0)})
    with pytest.raises(ValueError, match=r"no LoRA weights for module 'v_proj' in any decoder layer"):
        load_deltas(path, module="v_proj")
    with pytest.raises(ValueError, match=r"layer 7 not found; layers present: 0..0"):
        lora_similarity({"Counting": [path]}, layer=7)


def test_bfloat16_adapter_goes_through_torch(lora_kit, tmp_path):
    write_adapter, ab, PREFIX = lora_kit.write, lora_kit.ab, lora_kit.prefix
    import torch
    from safetensors.torch import save_file as save_torch

    torch.set_num_threads(1)
    a, b = ab(0)
    tmp_path.joinpath("x").mkdir()
    save_torch(
        {f"{PREFIX}.3.self_attn.o_proj.lora_A.weight": torch.tensor(a, dtype=torch.bfloat16),
         f"{PREFIX}.3.self_attn.o_proj.lora_B.weight": torch.tensor(b, dtype=torch.bfloat16)},
        str(tmp_path / "x" / "adapter_model.safetensors"),
    )
    (tmp_path / "x" / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 16}))
    np.testing.assert_array_equal(load_deltas(tmp_path / "x")[3], b @ a * 8.0)
