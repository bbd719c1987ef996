"""Data cards rendered for the report: content, escaping, and clear errors on bad cards."""

import json
from collections import Counter

import pytest

from tasktransfer.data.cards import Card
from tasktransfer.provenance import read_cards, render_cards_html


def _card(task: str, examples: int, message: str | None = None) -> Card:
    card = Card(task=task, split="train", source="tallyqa", n_options=4, seed=0, params={"max_count": 9},
                shards=["0"], items_seen=examples + 2, examples=examples, letters=Counter(A=examples))
    card.skip("corrupt_image", message or "image x.jpg: cannot identify image file")
    card.filtered["answer_out_of_range"] += 1
    return card


def test_every_card_is_on_the_page_with_its_counts(tmp_path):
    paths = []
    for task, n in (("Counting", 12), ("Art_Style", 7)):
        path = tmp_path / f"{task}.card.json"
        path.write_text(json.dumps(_card(task, n).to_dict()))
        paths.append(path)
    page = render_cards_html(read_cards(paths))
    assert page.index("Art_Style / train") < page.index("Counting / train")  # task order
    assert "<td>examples</td><td>12</td>" in page and "<td>examples</td><td>7</td>" in page
    assert "corrupt_image" in page and "answer_out_of_range" in page
    assert "href='#Counting-train'" in page and "id='Counting-train'" in page


def test_record_text_is_escaped(tmp_path):
    path = tmp_path / "c.card.json"
    path.write_text(json.dumps(_card("Counting", 3, "<script>alert(1)</script>").to_dict()))
    page = render_cards_html(read_cards([path]))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_card_missing_fields_names_the_file_and_fields(tmp_path):
    d = _card("Counting", 3).to_dict()
    del d["counts"], d["letters"]
    path = tmp_path / "bad.card.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"bad\.card\.json: data card lacks field\(s\) counts, letters"):
        read_cards([path])
    (tmp_path / "trunc.card.json").write_text('{"task": "Coun')
    with pytest.raises(ValueError, match="trunc.card.json: not a readable data card"):
        read_cards([tmp_path / "trunc.card.json"])


def test_read_card_names_the_file_and_missing_count_fields(tmp_path):
    from tasktransfer.data.cards import card_paths, read_card, write_card

    split = tmp_path / "Counting.parquet"
    write_card(_card("Counting", 3), split)
    jpath, _ = card_paths(split)
    assert read_card(split).to_dict() == json.loads(jpath.read_text())
    d = json.loads(jpath.read_text())
    del d["counts"]["examples"], d["image_sizes"]
    jpath.write_text(json.dumps(d))
    with pytest.raises(ValueError, match=r"Counting\.card\.json: data card lacks field\(s\) image_sizes, counts\.examples"):
        read_card(split)
    with pytest.raises(ValueError, match=r"bad\.card\.json: data card lacks field\(s\) image_sizes, counts\.examples"):
        read_cards([jpath.rename(tmp_path / "bad.card.json")])
    jpath.write_text("[1, 2]")
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        read_card(split)
