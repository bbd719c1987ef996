"""Turn a free-text answer into an option letter, the way peers do it.

Two parsers, kept faithful (quirks included) so generation-mode accuracy here can be
compared with published numbers:

* :func:`blink_extract` follows the BLINK authors' evaluation script. An answer that is
  exactly a letter or a parenthesised letter is taken as is. Otherwise the text is split
  on whitespace and the tokens are intersected with ``(A)``..``(E)``, both over the
  whole text and over its last paragraph (after the last blank line); a single match
  wins, the last paragraph first. Anything else went to an LLM judge in BLINK; no judge
  runs here, so it is *unparsed* (``None``). Note the exact-match step does not strip
  whitespace and a bare ``B`` inside a sentence is never matched (only ``(B)`` is).
* :func:`lmms_eval_extract` follows lmms-eval's BLINK task: strip, then match (anchored
  at the start, case-insensitive) optional ``(``/spaces, one letter, optional ``)``/``.``.
  It takes the first letter of whatever the model wrote, so ``"The answer is B"`` parses
  as ``"T"``; that is their behaviour and is reproduced on purpose.

Both return an upper-case letter or ``None``; neither restricts the letter to the
question's options (peers do not either), so a letter outside them simply scores wrong.
"""

from __future__ import annotations

import re
from typing import Callable

BLINK_LETTERS = ("A", "B", "C", "D", "E")
_BLINK_PAREN = {f"({c})": c for c in BLINK_LETTERS}
_LMMS_EVAL_RE = re.compile(r"[\(\s]*([A-Z])[\)\.\s]*", flags=re.IGNORECASE)


def _paren_matches(text: str) -> set[str]:
    return {_BLINK_PAREN[tok] for tok in text.split() if tok in _BLINK_PAREN}


def blink_extract(text: str) -> str | None:
    """Letter chosen by BLINK's rules, or ``None`` where BLINK would ask its LLM judge."""
    if text in BLINK_LETTERS:
        return text
    if text in _BLINK_PAREN:
        return _BLINK_PAREN[text]
    whole = _paren_matches(text)
    last = _paren_matches(text.split("\n\n")[-1])
    if len(last) == 1 and whole:
        return next(iter(last))
    if len(whole) == 1:
        return next(iter(whole))
    return None


def lmms_eval_extract(text: str) -> str | None:
    """First letter of the (stripped) answer as lmms-eval's anchored regex takes it."""
    match = _LMMS_EVAL_RE.match(text.strip())
    return match.group(1).upper() if match else None


EXTRACTORS: dict[str, Callable[[str], str | None]] = {
    "blink": blink_extract,
    "lmms_eval": lmms_eval_extract,
}


def get_extractor(name: str) -> Callable[[str], str | None]:
    """Return a parser by name, listing the valid names if unknown."""
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise KeyError(f"unknown answer parser {name!r}; expected one of: {', '.join(EXTRACTORS)}") from None
