"""Table-driven checks of the two peer answer parsers, quirks included."""

import pytest

from tasktransfer.evaluate.extract import blink_extract, get_extractor, lmms_eval_extract

BLINK_CASES = [
    ("A", "A"),
    ("(C)", "C"),
    ("E", "E"),
    (" A", None),  # exact match does not strip; no "(X)" token either
    ("The answer is (B).", None),  # "(B)." is not the token "(B)"
    ("The answer is (B)", "B"),
    ("I pick (D) because it is closer.", "D"),
    ("Either (A) or (B).\n\nFinal: (B)", "B"),  # last paragraph wins
    ("(A) or (C) ?\n\nNo idea", None),  # two in the whole text, none in the last paragraph
    ("(A) or (C)?\n\nNo idea", "A"),  # "(C)?" is not a token: only (A) matches
    ("The answer is B", None),  # bare letters inside text are never matched
    ("", None),
    ("(a)", None),  # case-sensitive
    ("(F)", None),  # only A..E exist
]


@pytest.mark.parametrize("text,expected", BLINK_CASES)
def test_blink_extract(text, expected):
    assert blink_extract(text) == expected


def test_blink_two_in_last_paragraph_one_overall_is_ambiguous():
    # whole text {A, C}, last paragraph {A, C}: neither is a single match
    assert blink_extract("(A) looks right.\n\nBut (A) and (C) are both plausible") is None
    # whole {A}, last {A}: single match
    assert blink_extract("(A) looks right.\n\nSo (A) it is") == "A"
    # whole {A, C}, last {C}: last paragraph first
    assert blink_extract("(A) looks right.\n\nActually (C)") == "C"


LMMS_CASES = [
    ("A", "A"),
    ("(B)", "B"),
    ("  c.", "C"),  # strips, case-insensitive, upper-cases
    ("D) because", "D"),
    ("B. The left one", "B"),
    ("The answer is B", "T"),  # documented quirk: first letter of the sentence
    ("answer: (C)", "A"),
    ("42", None),
    ("", None),
    ("\n(A)\n", "A"),
]


@pytest.mark.parametrize("text,expected", LMMS_CASES)
def test_lmms_eval_extract(text, expected):
    assert lmms_eval_extract(text) == expected


def test_get_extractor_names():
    assert get_extractor("blink") is blink_extract
    with pytest.raises(KeyError, match="expected one of: blink, lmms_eval"):
        get_extractor("judge")
