"""Readers of the part-2 raw formats, on genuine VSR files and on hand-made bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given, strategies as st

from tasktransfer.data.errors import BadRecord, MissingField
from tasktransfer.data.sources import nights, tallyqa, tara, vsr, wikiart

REAL_VSR = Path(__file__).parent / "realsamples" / "vsr"


@pytest.mark.parametrize("rel, n", [("random/dev.jsonl", 1097), ("random/train.jsonl", 50), ("zeroshot/test.jsonl", 50)])
def test_vsr_reads_real_files_and_rewrites_every_caption(rel, n):
    records = list(vsr.read_vsr(REAL_VSR / rel))
    assert len(records) == n
    assert not [r for r in records if isinstance(r, BadRecord)]
    for r in records:
        q = vsr.caption_to_question(r.caption, r.relation)
        assert q.endswith("?") and q.split()[0] in ("Is", "Are", "Does")
        assert q[:-1].endswith(r.caption.rstrip(".").split(" ")[-1])  # the object is kept


def test_vsr_quirks_parsed():
    first = next(iter(vsr.read_vsr(REAL_VSR / "random/dev.jsonl")))
    assert first.vote_false_validator_id == (2, 10, 1) and first.vote_true_validator_id == ()
    zs = [r for r in vsr.read_vsr(REAL_VSR / "zeroshot/test.jsonl") if r.subj == "andbag"]
    assert zs and zs[0].obj == "cat"  # the real typo survives untouched


@pytest.mark.parametrize("caption, relation, expected", [
    ("The car is beneath the cat.", "beneath", "Is the car beneath the cat?"),
    ("The train contains the laptop.", "contains", "Does the train contain the laptop?"),
    ("The cake has as a part the laptop.", "has as a part", "Does the cake have as a part the laptop?"),
    ("The cake consists of the car.", "consists of", "Does the cake consist of the car?"),
    ("The scissors are against the person.", "against", "Are the scissors against the person?"),
])
def test_vsr_caption_rewrite(caption, relation, expected):
    assert vsr.caption_to_question(caption, relation) == expected


def test_vsr_unknown_relation_reported(tmp_path):
    line = {"image": "000000000001.jpg", "caption": "The cat is levitating over the dog.", "label": 1,
            "relation": "levitating over", "vote_true_validator_id": "[1]", "vote_false_validator_id": "[]"}
    f = tmp_path / "train.jsonl"
    f.write_text(json.dumps(line) + "\n")
    (err,) = list(vsr.read_vsr(f))
    assert isinstance(err, vsr.UnknownRelation) and err.reason == "unknown_relation"
    assert "unknown VSR relation 'levitating over'" in str(err) and "line 1" in str(err) and str(f) in str(err)
    (ok,) = list(vsr.read_vsr(f, extra_relations=("levitating over",)))
    assert ok.label == 1


def test_vsr_unrewritable_caption():
    with pytest.raises(vsr.UnrewritableCaption, match="cannot rewrite"):
        vsr.caption_to_question("A cat, beneath a car", "beneath")


@pytest.mark.parametrize("answer", ["three", 2.5, -1, True, None])
def test_tallyqa_non_integer_answer_named(tmp_path, answer):
    rec = {"answer": answer, "image": "VG_100K/1.jpg", "question": "How many?", "question_id": 77, "image_id": 1}
    if answer is None:
        del rec["answer"]
    f = tmp_path / "train.json"
    f.write_text(json.dumps([rec]))
    (err,) = list(tallyqa.read_tallyqa(f))
    assert isinstance(err, MissingField)
    assert str(f) in str(err) and "question_id 77" in str(err) and "answer" in str(err)
    if answer is not None:
        assert err.reason == "non_integer_answer" and "non-negative integer" in str(err)


def test_tallyqa_missing_field_names_file_and_record(tmp_path):
    f = tmp_path / "train.json"
    f.write_text(json.dumps([{"answer": 2, "image": "VG_100K/1.jpg", "question_id": 5}]))
    (err,) = list(tallyqa.read_tallyqa(f))
    assert str(err) == f"file {f}, record #0 (question_id 5): missing field `question`"


def test_tallyqa_top_level_must_be_list(tmp_path):
    f = tmp_path / "train.json"
    f.write_text("{}")
    with pytest.raises(ValueError, match="expected a JSON list"):
        list(tallyqa.read_tallyqa(f))


def test_nights_reads_by_column_name_and_refuses_missing_columns(tmp_path):
    f = tmp_path / "data.csv"
    f.write_text("split,right_path,ref_path,left_path,votes,id,right_vote,left_vote\n"
                 "train,distort/000/001_1.png,ref/000/001.png,distort/000/001_0.png,7,1,1.0,0.0\n")
    (t,) = list(nights.read_nights(f))
    assert (t.id, t.votes, t.closer, t.ref_path) == ("1", 7, "right", "ref/000/001.png")
    f.write_text("id,votes,ref_path\n1,7,ref/000/001.png\n")
    with pytest.raises(ValueError, match="missing column\\(s\\) left_vote, right_vote, left_path, right_path, split"):
        list(nights.read_nights(f))


def test_tara_image_name():
    url = "https://static01.nyt.com/images/2010/03/29/world/29iraq/29iraq-articleLarge.jpg"
    assert tara.image_name(url) == "images-2010-03-29-world-29iraq-29iraq-articleLarge.jpg"
    assert tara.image_name("https://static01.nyt.com/images/x/y") == "images-x-y.jpg"


def test_wikiart_folder_form(tmp_path):
    for style in ("Cubism", "Baroque"):
        (tmp_path / "train" / style).mkdir(parents=True)
        (tmp_path / "train" / style / "a.jpg").write_bytes(b"x")
    (tmp_path / "train" / "NotAStyle").mkdir()
    recs = list(wikiart.read_wikiart(tmp_path, "train"))
    good = [r for r in recs if not isinstance(r, BadRecord)]
    assert [(g.style_name, g.path) for g in good] == [("Baroque", "train/Baroque/a.jpg"), ("Cubism", "train/Cubism/a.jpg")]
    assert any(isinstance(r, BadRecord) and "NotAStyle" in str(r) for r in recs)
    with pytest.raises(FileNotFoundError, match="no WikiArt split 'test'"):
        list(wikiart.read_wikiart(tmp_path, "test"))


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)


@example(subj="contains", obj="aa", relation="contains")  # subject equal to the verb
@given(subj=_WORD, obj=_WORD, relation=st.sampled_from(sorted(vsr.RELATIONS)))
def test_vsr_rewrite_property(subj, obj, relation):
    """Every VSR relation in its caption form rewrites to a question keeping subject, relation and object."""
    verb = relation in ("contains", "consists of", "has as a part")
    caption = f"The {subj} {relation} the {obj}." if verb else f"The {subj} is {relation} the {obj}."
    q = vsr.caption_to_question(caption, relation)
    if verb:
        assert q.startswith(f"Does the {subj} ") and q.endswith(f" the {obj}?")
    else:
        assert q == f"Is the {subj} {relation} the {obj}?"
