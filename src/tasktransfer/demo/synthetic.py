"""Small canonical splits generated directly, with a chosen distribution of gold letters.

Two uses. The embedded demo needs BLINK-shaped questions for all 13 tasks (prompt text,
option counts, image counts) with balanced letters; its numbers mean nothing. The planted-
structure test needs tasks whose only learnable signal is a letter prior (the tiny model
learns priors, not vision): a task trained on mostly-A answers transfers to targets whose
gold letters are mostly A and hurts targets whose gold letters are mostly B. Which letters
dominate a task's train and eval splits is therefore the knob that plants the structure.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
from PIL import Image

from ..splits import Example
from ..tasks import LETTERS, TASKS
from ..train.mixture import apportion

IMAGE_SIDE = 28


@dataclass(frozen=True)
class SyntheticTask:
    """How to generate one task's questions.

    ``letter_weights`` maps gold letters to relative frequencies; ``None`` means balanced
    (each letter equally often, in shuffled blocks).
    """

    name: str
    n_options: int
    n_images: int
    letter_weights: dict[str, float] | None = None
    question: str | None = None
    choices: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        if not 2 <= self.n_options <= len(LETTERS):
            raise ValueError(f"task {self.name!r}: `options` must be 2..{len(LETTERS)}, got {self.n_options}")
        if self.n_images < 1:
            raise ValueError(f"task {self.name!r}: `images` must be >= 1, got {self.n_images}")
        if self.letter_weights is not None:
            bad = sorted(set(self.letter_weights) - set(LETTERS[: self.n_options]))
            if bad:
                raise ValueError(
                    f"task {self.name!r}: letters {bad} in `letters` are not among the "
                    f"{self.n_options} options {list(LETTERS[: self.n_options])}"
                )
            if any(w < 0 for w in self.letter_weights.values()) or sum(self.letter_weights.values()) <= 0:
                raise ValueError(f"task {self.name!r}: `letters` weights must be >= 0 and not all 0")


def blink_like(task: str, letter_weights: dict[str, float] | None = None) -> SyntheticTask:
    spec = TASKS[task]
    return SyntheticTask(task, spec.n_options, spec.n_images, letter_weights)


def gold_letters(task: SyntheticTask, n: int, rng: random.Random) -> list[str]:
    """Exactly-proportioned gold letters (largest remainder), then shuffled."""
    letters = LETTERS[: task.n_options]
    weights = task.letter_weights or {x: 1.0 for x in letters}
    counts = apportion(n, [float(weights.get(x, 0.0)) for x in letters])
    out = [x for x, c in zip(letters, counts) for _ in range(c)]
    rng.shuffle(out)
    return out


def _image(rng: np.random.Generator) -> bytes:
    pixels = rng.integers(0, 256, size=(IMAGE_SIDE, IMAGE_SIDE, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buf, format="PNG")
    return buf.getvalue()


def _question(task: SyntheticTask, rng: random.Random) -> tuple[str, list[str], dict]:
    from ..data.prompts import TEMPLATES, render_prompt

    if task.name in TEMPLATES and TASKS.get(task.name) and TASKS[task.name].n_options == task.n_options:
        slots: dict[str, str] = {}
        head = TEMPLATES[task.name].head
        if "{question}" in head:
            thing = rng.choice(["dogs", "cars", "cups", "birds", "chairs"])
            slots["question"] = (
                f"How many {thing} are there?" if task.name == "Counting" else f"Is the {thing} left of the table?"
            )
        if "{object}" in head:
            slots["object"] = rng.choice(["dog", "tank top (clothing)", "cup"])
        if "{action}" in head:
            slots["action"] = rng.choice(["Pour", "Scoop", "Lift Something"])
        choices = list(TEMPLATES[task.name].choices or [str(k) for k in rng.sample(range(10), task.n_options)])
        return render_prompt(task.name, choices, **slots), choices, slots
    choices = list(task.choices or [f"option {LETTERS[k]}" for k in range(task.n_options)])
    head = task.question or f"This is synthetic task {task.name}. Which option is correct?"
    lines = "\n".join(f"({LETTERS[k]}) {c}" for k, c in enumerate(choices))
    return f"{head}\nSelect from the following choices.\n{lines}", choices, {}


def generate(task: SyntheticTask, split: str, n: int, seed: int) -> Iterator[Example]:
    """Yield ``n`` examples of ``task``; a pure function of (task, split, n, seed)."""
    key = f"{task.name}|{split}|{seed}"
    rng = random.Random(key)
    np_rng = np.random.default_rng(list(key.encode()))
    for k, answer in enumerate(gold_letters(task, n, rng)):
        question, choices, slots = _question(task, rng)
        images = [_image(np_rng) for _ in range(task.n_images)]
        yield Example(
            id=f"{split}_{task.name}_{k + 1}",
            task=task.name,
            split=split,
            images=images,
            question=question,
            choices=choices,
            answer=answer,
            source="synthetic",
            source_ids=[f"synthetic:{task.name}:{split}:{k + 1}:{j}" for j in range(task.n_images)],
            meta={"generator": "tasktransfer.demo.synthetic", "seed": seed, "slots": slots},
        )


def task_from_spec(name: str, spec: dict, split: str) -> SyntheticTask:
    """The generated task of one split from its config spec (see config/planted.yaml)."""
    letters = spec.get("train_letters" if split == "train" else "eval_letters")
    return SyntheticTask(name, int(spec["options"]), int(spec.get("images", 1)), letters)


def write_generated_split(task: str, split: str, spec: dict, out) -> int:
    """Write the generated ``split`` of ``task`` to ``out`` (atomically); return its size."""
    from ..splits import write_split

    n = spec["train_examples"] if split == "train" else spec["eval_examples"]
    return write_split(out, generate(task_from_spec(task, spec, split), split, n, spec["seed"]))
