"""Build a tiny, randomly initialised Qwen2.5-VL fully offline, byte-for-byte reproducibly.

The embedded default and the tests need the real model class, processor and chat format
without any download. This builds the same ``Qwen2_5_VLForConditionalGeneration`` class as
the paper's models, a byte-level BPE tokenizer trained on a generated corpus, the PIL image
processor and :class:`ImageOnlyQwen2_5_VLProcessor`. The tiny model can learn letter
priors, not vision: its numbers are plumbing checks, never results.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from ..atomic import atomic_dir

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|image_pad|>", "<|video_pad|>",
]
MARKER_FILE = "tasktransfer_tiny.json"

# Small enough to train in seconds on one CPU thread; shapes obey Qwen2.5-VL's constraints
# (sum(mrope_section) == head_dim / 2; vision out_hidden_size == text hidden_size).
DEFAULT_SPEC = {
    "hidden_size": 64,
    "num_layers": 2,
    "num_heads": 4,
    "num_kv_heads": 2,
    "intermediate_size": 128,
    "vision_depth": 2,
    "vision_hidden_size": 32,
    "vision_heads": 2,
    "vocab_size": 2048,
    "image_pixels": 56 * 56,  # fixed resize target: 2x2 merged tokens per image
}


# A frozen corpus: the tokenizer, and with it the whole tiny model, changes only when this
# module changes, never because prompt text elsewhere was edited (the planted-structure
# test relies on the base model's letter preference staying put).
_CORPUS_SENTENCES = (
    "Two points are circled on the image, labeled by A and B beside each circle.",
    "Which point is closer to the camera? Which point has darker surface color?",
    "Given the first image with the lower right corner missing, which image is the missing part?",
    "A point is circled on the first image, labeled with REF. Which point corresponds to it?",
    "You are given multiple red-circled points on the second image, choices of A, B, C, D.",
    "Which bounding box more accurately localizes and encloses the object?",
    "Is the camera moving left or right when shooting the video? How many objects are there?",
    "Which image shares the same style as the reference image? Which one is a real photograph?",
    "Given three similar but different images, which of the latter two is most similar to the first?",
    "Select from the following choices. Select from the following options.",
)


def _corpus(seed: int) -> list[str]:
    """A deterministic corpus: fixed sentences, answer forms and seeded filler words."""
    rng = random.Random(seed)
    lines = list(_CORPUS_SENTENCES)
    words = "the a of image point box which is closer darker left right yes no first second third".split()
    for _ in range(400):
        lines.append(" ".join(rng.choice(words) for _ in range(12)))
    lines += [f"({x}) {x} {x}." for x in "ABCD"] + [str(n) for n in range(100)]
    return lines


def build_tokenizer(seed: int, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(seed), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        extra_special_tokens={"image_token": "<|image_pad|>", "video_token": "<|video_pad|>"},
    )
    for letter in "ABCD":
        ids = fast.encode(letter, add_special_tokens=False)
        if len(ids) != 1:
            raise RuntimeError(f"tiny tokenizer splits option letter {letter!r} into {ids}")
    return fast


def build_tiny_model(out_dir: str | Path, seed: int = 0, spec: dict | None = None) -> Path:
    """Write model, tokenizer, processor and a marker file to ``out_dir`` (atomically)."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from .processor import ImageOnlyQwen2_5_VLProcessor

    s = {**DEFAULT_SPEC, **(spec or {})}
    tokenizer = build_tokenizer(seed, s["vocab_size"])
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    head_dim = s["hidden_size"] // s["num_heads"]
    half = head_dim // 2
    mrope = [half - 2 * (half // 3), half // 3, half // 3]
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": s["hidden_size"],
            "intermediate_size": s["intermediate_size"],
            "num_hidden_layers": s["num_layers"],
            "num_attention_heads": s["num_heads"],
            "num_key_value_heads": s["num_kv_heads"],
            "max_position_embeddings": 2048,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": mrope},
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": s["vision_depth"],
            "hidden_size": s["vision_hidden_size"],
            "intermediate_size": 2 * s["vision_hidden_size"],
            "num_heads": s["vision_heads"],
            "out_hidden_size": s["hidden_size"],
            "fullatt_block_indexes": [s["vision_depth"] - 1],
            "window_size": 112,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    image_processor = Qwen2VLImageProcessorPil(
        size={"shortest_edge": s["image_pixels"], "longest_edge": s["image_pixels"]}
    )
    chat_template = (Path(__file__).with_name("chat_template.jinja")).read_text()
    processor = ImageOnlyQwen2_5_VLProcessor(
        image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template
    )
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        model.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        marker = {"kind": "tasktransfer-tiny-qwen2.5-vl", "seed": seed, "spec": s}
        (tmp / MARKER_FILE).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return out


def tree_digest(path: str | Path) -> str:
    """sha256 over every file's relative path and bytes: equal digests mean equal builds."""
    h = hashlib.sha256()
    root = Path(path)
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()
