"""Evaluation inputs encoded once (rule encode_eval) are the processor's exact bits, or refused.

Evaluation jobs read these tensors instead of running the processor, so every prediction
depends on the batches being bit-identical to the processor's output for the same rows;
a stale or foreign file must fail loudly, naming itself.
"""

import dataclasses
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tasktransfer.demo.synthetic import blink_like, generate
from tasktransfer.evaluate import encoded as encoded_mod
from tasktransfer.evaluate.encoded import EncodedInputs, EncodedInputsError, processor_fingerprint, write_encoded
from tasktransfer.evaluate.pixel_codec import decode_image, encode_image
from tasktransfer.evaluate.scoring import encode_batch, score_rows
from tasktransfer.model.loading import load_processor
from tasktransfer.splits import iter_split, write_split


def _assert_same_bits(expected, got) -> None:
    assert list(got.keys()) == list(expected.keys())
    for key in expected:
        a, b = expected[key], got[key]
        assert a.dtype == b.dtype and a.shape == b.shape, key
        if a.is_floating_point():
            assert torch.equal(a.view(torch.int32), b.view(torch.int32)), key
        else:
            assert torch.equal(a, b), key


def _check_random_batches(processor, rows, enc: EncodedInputs, trials: int = 25) -> None:
    rng = random.Random(0)
    for _ in range(trials):
        idx = rng.sample(range(len(rows)), rng.randint(1, min(8, len(rows))))
        _assert_same_bits(encode_batch(processor, [rows[i] for i in idx]), enc.batch(idx))


@pytest.fixture(scope="module")
def mixed_split(tmp_path_factory):
    """1-, 2- and 4-image questions with 2 to 4 options."""
    path = tmp_path_factory.mktemp("encoded") / "mixed.parquet"
    tasks = ("Jigsaw", "Counting", "Visual_Correspondence", "Multi-view_Reasoning")
    write_split(path, [ex for k, t in enumerate(tasks) for ex in generate(blink_like(t), "val", 5, seed=k)])
    return path


@pytest.fixture(scope="module")
def encoded_file(tiny_model, mixed_split, tmp_path_factory):
    out = tmp_path_factory.mktemp("encoded") / "mixed.safetensors"
    summary = write_encoded(out, mixed_split, tiny_model, batch_size=3)
    assert summary["coded_images"] == summary["images"] > summary["questions"]
    return out


def test_batches_are_the_processors_bits(tiny_model, mixed_split, encoded_file):
    processor = load_processor(tiny_model)
    rows = list(iter_split(mixed_split))
    enc = EncodedInputs(encoded_file)
    enc.check(mixed_split, processor=processor_fingerprint(tiny_model))
    enc.check_questions([r["id"] for r in rows])
    assert len(enc) == len(rows)
    _check_random_batches(processor, rows, enc)


def test_resized_images_of_any_size_are_byte_coded_losslessly(tiny_model, tmp_path):
    """A real Qwen2.5-VL processor resizes each image to its own grid (tiny fixes 56x56)."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    config = json.loads((model / "processor_config.json").read_text())
    config["image_processor"]["size"] = {"shortest_edge": 56 * 56, "longest_edge": 28 * 28 * 40}
    (model / "processor_config.json").write_text(json.dumps(config))
    rng = np.random.default_rng(0)

    def png(h: int, w: int) -> bytes:
        smooth = np.linspace(0, 255, w)[None, :, None] * np.ones((h, 1, 3))
        pixels = np.clip(smooth + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        return buf.getvalue()

    examples = [dataclasses.replace(ex, images=[png(int(rng.integers(20, 400)), int(rng.integers(20, 400)))
                                                for _ in ex.images])
                for ex in generate(blink_like("Visual_Correspondence"), "val", 6, seed=3)]
    split = tmp_path / "sizes.parquet"
    write_split(split, examples)
    summary = write_encoded(tmp_path / "sizes.safetensors", split, model)
    assert summary["coded_images"] == summary["images"] == 12
    processor = load_processor(model)
    rows = list(iter_split(split))
    grids = {tuple(g) for g in encode_batch(processor, rows)["image_grid_thw"].tolist()}
    assert len(grids) > 6, "the images should resize to many different grids"
    _check_random_batches(processor, rows, EncodedInputs(tmp_path / "sizes.safetensors"))
    size = (tmp_path / "sizes.safetensors").stat().st_size
    assert size < encode_batch(processor, rows)["pixel_values"].numel() / 1.5  # 8x smaller than float32, plus tables


def test_images_that_cannot_be_byte_coded_are_stored_as_float32(tiny_model, mixed_split, tmp_path, monkeypatch):
    calls = []

    def one_in_three(patches, channels, temporal):
        """Images 1, 4, ... as float32; 2, 5, ... coded without folding the temporal copies; the rest folded."""
        calls.append(1)
        return [None, encode_image(patches, channels), encode_image(patches, channels, temporal)][len(calls) % 3]

    monkeypatch.setattr(encoded_mod, "encode_image", one_in_three)
    out = tmp_path / "mixed.safetensors"
    summary = write_encoded(out, mixed_split, tiny_model, batch_size=4)
    assert 0 < summary["coded_images"] < summary["images"]
    _check_random_batches(load_processor(tiny_model), list(iter_split(mixed_split)), EncodedInputs(out))


def test_codec_keeps_every_bit_and_refuses_continuous_values():
    table = torch.tensor([-1.5, -0.0, 0.0, 2.25], dtype=torch.float32)
    values = table[torch.randint(0, 4, (10, 3 * 8), generator=torch.Generator().manual_seed(0))]
    codes, tables, folded = encode_image(values, channels=3, temporal=2)
    assert codes.dtype == torch.uint8 and tables.shape == (3, 256) and folded == 1  # slots differ: kept
    assert torch.equal(decode_image(codes, tables).view(torch.int32), values.view(torch.int32))  # -0.0 stays -0.0
    still = values.reshape(10, 3, 1, 8).expand(10, 3, 2, 8).reshape(10, 48)  # the same frame in both slots
    codes, tables, folded = encode_image(still, channels=3, temporal=2)
    assert folded == 2 and codes.shape == (10, 24)
    assert torch.equal(decode_image(codes, tables, folded).view(torch.int32), still.view(torch.int32))
    assert encode_image(torch.randn(40, 3 * 300, generator=torch.Generator().manual_seed(1)), channels=3) is None


def test_scores_are_identical_with_encoded_inputs(tiny_model, mixed_split, encoded_file):
    from tasktransfer.model.loading import load_model

    model, processor = load_model(tiny_model), load_processor(tiny_model)
    rows = list(iter_split(mixed_split))
    plain = score_rows(model, processor, rows, batch_size=4)
    enc = EncodedInputs(encoded_file)
    assert score_rows(model, processor, rows, batch_size=4, encoded=enc) == plain
    assert score_rows(model, processor, rows, batch_size=4, prefetch=True, encoded=enc) == plain


def test_checkpoint_outputs_are_byte_identical(tiny_model, small_splits, adapters, tmp_path):
    from tasktransfer.evaluate.run import evaluate_checkpoint

    splits = {t: small_splits[t, "val"] for t in ("Counting", "Relative_Depth")}
    encoded = {t: tmp_path / f"{t}.safetensors" for t in splits}
    for t in splits:
        write_encoded(encoded[t], splits[t], tiny_model)
    outs = {}
    for arm, inputs in (("plain", None), ("encoded", encoded)):
        pred, acc = tmp_path / arm / "predictions.parquet", tmp_path / arm / "accuracy.csv"
        evaluate_checkpoint(tiny_model, splits, pred, acc, "tiny", "Counting", "0", adapters["Counting"],
                            batch_size=4, encoded_inputs=inputs)
        outs[arm] = (pred.read_bytes(), acc.read_bytes())
    assert outs["plain"] == outs["encoded"]


def test_stale_foreign_or_broken_files_are_refused(tiny_model, mixed_split, encoded_file, small_splits, tmp_path):
    enc = EncodedInputs(encoded_file)
    other = small_splits["Counting", "val"]
    with pytest.raises(EncodedInputsError, match=r"mixed\.safetensors.*stale, rerun rule encode_eval"):
        enc.check(other)
    with pytest.raises(EncodedInputsError, match="question ids differ"):
        enc.check_questions(["q0", "q1"])
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "chat_template.jinja").write_text((model / "chat_template.jinja").read_text() + "\n")
    with pytest.raises(EncodedInputsError, match="another processor"):
        enc.check(mixed_split, processor=processor_fingerprint(model))
    assert processor_fingerprint(model) != processor_fingerprint(tiny_model)
    (model / "model.safetensors").write_bytes(b"weights do not change the processor")
    (model / "chat_template.jinja").write_text((tiny_model / "chat_template.jinja").read_text())
    assert processor_fingerprint(model) == processor_fingerprint(tiny_model)

    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(encoded_file.read_bytes()[:1000])
    with pytest.raises(EncodedInputsError, match=r"truncated\.safetensors: not a readable"):
        EncodedInputs(truncated)


def test_evaluation_refuses_inputs_of_other_tasks(tiny_model, small_splits, tmp_path):
    from tasktransfer.evaluate.run import evaluate_checkpoint

    splits = {t: small_splits[t, "val"] for t in ("Counting", "Relative_Depth")}
    wrong = {"Counting": tmp_path / "c.safetensors", "Relative_Depth": tmp_path / "r.safetensors"}
    write_encoded(wrong["Counting"], splits["Relative_Depth"], tiny_model)  # swapped on purpose
    write_encoded(wrong["Relative_Depth"], splits["Counting"], tiny_model)
    with pytest.raises(EncodedInputsError, match="stale"):
        evaluate_checkpoint(tiny_model, splits, tmp_path / "p.parquet", tmp_path / "a.csv", "tiny",
                            encoded_inputs=wrong)
    assert not (tmp_path / "p.parquet").exists()


def test_real_size_benchmark_runs_and_checks_bits(tmp_path):
    """benchmarks/eval_encoded_inputs.py keeps working (small images, one run)."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "eval_encoded_inputs.py"
    res = subprocess.run([sys.executable, str(script), "--size", "120x90", "--images", "3", "--repeats", "1"],
                         cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    assert "same bits: True" in res.stdout and "smaller than the processor's float32" in res.stdout
