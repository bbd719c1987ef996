"""Turn a free-text answer into an option letter, exactly the way peers do it.

Two parsers, each a function of ``(text, n_options)`` (the question's number of options)
that returns a letter or ``None`` (unparsed). They are reproductions of the peers'
published code, quirks included, so generation-mode accuracy here can be compared with
published numbers; each quirk is listed in its docstring and pinned by a test.

* :func:`blink_extract` is the deterministic part of ``analyze_answer`` in the BLINK
  authors' evaluation script (github.com/zeyofu/BLINK_Benchmark, ``eval/test_benchmark.py``).
  It *does* restrict its token search to the question's own options (``(A)``, ``(B)`` for
  a two-option question), but its exact-match branches accept any of A-E.
* :func:`lmms_eval_extract` is lmms-eval's BLINK parser (github.com/EvolvingLMMs-Lab/
  lmms-eval, ``lmms_eval/tasks/blink/utils.py``: ``_extract_answer_letter``, called by
  ``blink_process_results``). It ignores the number of options.

Letters outside the question's options are returned as the peer's code returns them and
simply score wrong, as they do there.
"""

from __future__ import annotations

import re
from typing import Callable

# BLINK's two exact-match lists (always A-E, whatever the question's option count) and
# its option tokens, of which a question uses the first n_options.
_BLINK_BARE = ("A", "B", "C", "D", "E")
_BLINK_TOKENS = ("(A)", "(B)", "(C)", "(D)", "(E)")
# lmms-eval's pattern, with its flag, as written in their utils.py.
_LMMS_EVAL_RE = re.compile(r"[\(\s]*([A-Z])[\)\.\s]*", flags=re.IGNORECASE)

Parser = Callable[[str, int], "str | None"]


def blink_extract(text: str, n_options: int) -> str | None:
    """The letter BLINK's ``analyze_answer`` picks, or ``None`` where it would ask its GPT judge.

    Its rules, in its order:

    1. The question's option tokens are ``("(A)", "(B)", "(C)", "(D)", "(E)")[:n_options]``.
       The answer is split on whitespace (``str.split()``) and so is its last paragraph
       (the text after the last ``"\\n\\n"``, or all of it); each token set is intersected
       with the option tokens.
    2. The answer is exactly ``A``..``E``: that letter. Exactly ``(A)``..``(E)``: that letter.
    3. Neither intersection has exactly one element, or the whole-text one is empty: GPT
       judge (here ``None``).
    4. Otherwise the last paragraph's single match if it has one, else the whole text's.

    Quirks kept on purpose:

    * the exact-match branches ignore ``n_options``: a bare ``"E"`` or ``"(D)"`` on a
      two-option question is taken (and scores wrong);
    * nothing is stripped or case-folded: ``" A"``, ``"A\\n"``, ``"a"``, ``"A."`` and ``"(a)"``
      are not exact matches, and ``"(B)."``, ``"(B),"``, ``"**(B)**"`` are not option tokens;
    * a bare letter inside a sentence (``"The answer is B"``) is never matched;
    * an option token beyond the question's options (``"(C)"`` in a two-option answer) is
      not a match at all, so ``"(A) not (C)"`` parses as A for two options and goes to the
      judge for three or more;
    * a paragraph break is exactly ``"\\n\\n"`` (``"\\r\\n\\r\\n"`` is not one);
    * both matches must be single: two options in the whole text and one in the last
      paragraph picks the last paragraph's, one in the whole text and two in the last
      paragraph is impossible (the last paragraph's tokens are a subset);
    * a non-string answer raises inside their ``try`` and comes back as ``None``.
    """
    if not isinstance(text, str):
        return None  # their .split() raises; the bare except returns None
    options = set(_BLINK_TOKENS[:n_options])
    whole = options.intersection(text.split())
    last = options.intersection(text.split("\n\n")[-1].split())
    if text in _BLINK_BARE:
        return text
    if text in _BLINK_TOKENS:
        return text[1]
    if len(whole) < 1 or (len(whole) != 1 and len(last) != 1):
        return None  # BLINK asks GPT-3.5 to pick; no judge runs here
    (token,) = last if len(last) == 1 else whole
    return token[1]


def lmms_eval_extract(text: str, n_options: int) -> str | None:
    """The letter lmms-eval's BLINK task reads, or ``None`` where it reads nothing.

    ``text.strip()``, then ``re.match`` (anchored at the start, not the end) of
    ``[\\(\\s]*([A-Z])[\\)\\.\\s]*`` with ``re.IGNORECASE``; the group is upper-cased. Their
    empty string for no match is ``None`` here. ``n_options`` is accepted for a common
    signature and ignored, as lmms-eval ignores it.

    Quirks kept on purpose:

    * it takes the first letter of whatever the model wrote: ``"The answer is B"`` parses
      as ``T``, ``"Answer: (C)"`` as ``A`` — letters outside the options count as wrong
      answers, not as unparsed;
    * it never looks past the first letter, so ``"A) ... (B)"`` is A and ``"Bx"`` is B;
    * lower case is accepted (``"c."`` is C), and so are the non-ASCII characters that
      Python's Unicode case-insensitive matching folds into ``A-Z`` (``"ſ"`` -> ``S``,
      ``"ı"`` -> ``I``; the Kelvin sign and ``"İ"`` match and stay themselves after
      ``upper()``);
    * only ``(`` and whitespace may precede the letter: ``"**A**"``, ``"[A]"``, ``"1"`` or an
      empty answer are unparsed.
    """
    match = _LMMS_EVAL_RE.match(text.strip())
    return match.group(1).upper() if match else None


EXTRACTORS: dict[str, Parser] = {
    "blink": blink_extract,
    "lmms_eval": lmms_eval_extract,
}


def get_extractor(name: str) -> Parser:
    """Return a parser by name, listing the valid names if unknown."""
    try:
        return EXTRACTORS[name]
    except KeyError:
        raise KeyError(f"unknown answer parser {name!r}; expected one of: {', '.join(EXTRACTORS)}") from None
