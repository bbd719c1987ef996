"""Turn a canonical split row into the model's chat input, the same way for train and eval.

Images come first, then the BLINK prompt, as lmms-eval and BLINK present them. The
assistant's target is the bare option letter, so the first token the model emits after
``<|im_start|>assistant\\n`` is the letter that evaluation scores.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image


def decode_images(images: list[bytes], where: str = "") -> list[Image.Image]:
    out = []
    for k, data in enumerate(images):
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception as exc:  # PIL raises many types for corrupt data
            raise ValueError(f"{where}: image {k} cannot be decoded ({exc})") from exc
        out.append(img.convert("RGB"))
    return out


def user_messages(question: str, n_images: int) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = [{"type": "image"} for _ in range(n_images)]
    content.append({"type": "text", "text": question})
    return [{"role": "user", "content": content}]


def prompt_text(processor, question: str, n_images: int) -> str:
    """Chat-formatted prompt ending with the assistant turn opener."""
    return processor.apply_chat_template(
        user_messages(question, n_images), add_generation_prompt=True, tokenize=False
    )


def answer_text(letter: str, processor) -> str:
    """The training target after the prompt: the letter, then end of turn."""
    return f"{letter}{processor.tokenizer.eos_token}"


def letter_token_ids(tokenizer, letters: tuple[str, ...] | list[str]) -> list[int]:
    """Token id of each option letter as the first generated token; refuse multi-token letters."""
    ids = []
    for letter in letters:
        enc = tokenizer.encode(letter, add_special_tokens=False)
        if len(enc) != 1:
            raise ValueError(f"option letter {letter!r} is not a single token for this tokenizer: {enc}")
        ids.append(enc[0])
    return ids
