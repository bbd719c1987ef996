"""The GPU throughput benchmark keeps working where no GPU is: its FLOP accounting on the real
3B architecture (meta tensors, no memory) and a smoke run of its whole training path."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_train_throughput.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_train_throughput", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_flops_per_sample_counts_the_3b_architecture():
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    mod = _module()
    with torch.device("meta"):
        model = Qwen2_5_VLForConditionalGeneration._from_config(Qwen2_5_VLConfig(**mod.QWEN25_VL_3B))
    lm = sum(p.numel() for n, p in model.model.language_model.named_parameters() if "embed_tokens" not in n)
    vision = sum(p.numel() for p in model.model.visual.parameters())
    # Qwen2.5-3B publishes 2.77B non-embedding parameters; the ViT of Qwen2.5-VL about 0.67B.
    assert 2.70e9 < lm < 2.80e9 and 0.60e9 < vision < 0.70e9
    data = mod.SyntheticBatches(1, images=1, side=812, text_tokens=160)
    assert data.image_tokens == 841 and data.seq_len == 841 + 2 + 160 + 2
    lora, six_n = mod.flops_per_sample(model, data, images=1)
    head = model.lm_head.weight.numel()
    t = data.seq_len
    # 4N per token for the language model plus attention and a forward-only vision tower
    assert 4 * (lm + head) * t < lora < 4 * (lm + head) * t * 1.5
    assert six_n > 1.4 * lora


def test_smoke_run_trains_and_reports(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TASKTRANSFER_DEEPSPEED_CPU"}
    env.update(OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    res = subprocess.run([sys.executable, str(SCRIPT), "--smoke", "--peak-tflops", "1"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    out = res.stdout
    assert "SMOKE RUN" in out and "DeepSpeed none" in out
    tokens = float(re.search(r"([\d,.]+) tokens/s", out)[1].replace(",", ""))
    mfu = float(re.search(r"MFU \(LoRA model FLOPs\)\s*:\s*([\d.]+) %", out)[1])
    assert tokens > 0 and mfu > 0
