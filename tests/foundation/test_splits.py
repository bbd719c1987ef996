import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from tasktransfer.splits import (
    SCHEMA,
    Example,
    SplitFormatError,
    SplitWriter,
    iter_split,
    read_split,
    write_split,
)


def _png(color=(255, 0, 0)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(buf, format="PNG")
    return buf.getvalue()


def _example(i: int, **kw) -> Example:
    fields = dict(id=f"ex{i}", task="Relative_Depth", split="train", images=[_png()], question="Which? (A) a (B) b",
                  choices=["A is closer", "B is closer"], answer="B", source="DIW", source_ids=[f"img{i}"],
                  meta={"i": i})
    fields.update(kw)
    return Example(**fields)


def test_round_trip_and_schema(tmp_path):
    path = tmp_path / "s.parquet"
    assert write_split(path, (_example(i) for i in range(5)), rows_per_group=2) == 5
    table = read_split(path)
    assert table.schema.remove_metadata().equals(SCHEMA.remove_metadata())
    rows = list(iter_split(path))
    assert [r["id"] for r in rows] == [f"ex{i}" for i in range(5)]
    assert rows[3]["meta"] == {"i": 3} and rows[0]["images"][0] == _png()


def test_datasets_decodes_images(tmp_path):
    import datasets

    path = tmp_path / "s.parquet"
    write_split(path, [_example(0, images=[_png(), _png((0, 0, 255))])])
    ds = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert isinstance(ds.features["images"], datasets.List)
    first = ds[0]["images"]
    assert [im.size for im in first] == [(8, 6), (8, 6)]
    assert first[1].convert("RGB").getpixel((0, 0)) == (0, 0, 255)


def test_same_input_same_bytes(tmp_path):
    write_split(tmp_path / "a.parquet", (_example(i) for i in range(4)))
    write_split(tmp_path / "b.parquet", (_example(i) for i in range(4)))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"answer": "C"}, r"`answer` is 'C'; expected one of \['A', 'B'\]"),
        ({"choices": ["only one"]}, r"`choices` has 1 entries; expected 2 to 4"),
        ({"images": []}, r"`images` is empty"),
        ({"id": ""}, r"`id` must be a non-empty string"),
        ({"images": [b""]}, r"`images\[0\]` is not non-empty encoded image bytes"),
    ],
)
def test_invalid_examples_are_refused(tmp_path, change, message):
    with pytest.raises(SplitFormatError, match=message):
        write_split(tmp_path / "s.parquet", [_example(0, **change)])


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "s.parquet"

    def examples():
        yield _example(0)
        yield _example(0)  # duplicate id

    with pytest.raises(SplitFormatError, match="duplicate id 'ex0'"):
        write_split(path, examples())
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_previous_file(tmp_path):
    path = tmp_path / "s.parquet"
    write_split(path, [_example(0)])
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with SplitWriter(path) as w:
            w.write(_example(1))
            raise RuntimeError("killed")
    assert path.read_bytes() == before


def test_reader_names_missing_and_mistyped_columns(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["x"], "answer": [1]}), path)
    with pytest.raises(SplitFormatError) as info:
        read_split(path)
    msg = str(info.value)
    assert "bad.parquet: not a canonical split" in msg
    assert "missing column `images`" in msg and "column `answer` has type int64; expected string" in msg


def test_meta_is_json(tmp_path):
    path = tmp_path / "s.parquet"
    write_split(path, [_example(0, meta={"b": 1, "a": [1, 2]})])
    assert json.loads(read_split(path).column("meta")[0].as_py()) == {"a": [1, 2], "b": 1}


def test_outputs_get_umask_permissions_not_0600(tmp_path):
    import os
    import stat

    path = tmp_path / "s.parquet"
    old = os.umask(0o022)
    try:
        write_split(path, [_example(0)])
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
