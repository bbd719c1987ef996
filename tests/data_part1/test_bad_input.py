"""Bad raw data: skipped and counted, refused past the skip ratio, errors name file and record."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from tasktransfer.data.build import build_split
from tasktransfer.data.errors import CorruptImage, MissingFile, SkipRatioExceeded, UnsafePath
from tasktransfer.data.fixtures import fixture_root
from tasktransfer.data.safety import open_image, passthrough_image, resolve_under

from .conftest import PART1_TASKS

ESCAPE_FIXTURES = ("Relative_Depth", "Semantic_Correspondence", "Functional_Correspondence", "Object_Localization")


@pytest.mark.parametrize("task", PART1_TASKS)
def test_bad_records_skipped_with_reason_and_location(built, task):
    _, card = built[task]
    assert card.skipped["corrupt_image"] == 1
    assert card.skipped["missing_field"] == 1
    corrupt = [m for m in card.messages if "cannot decode image" in m]
    assert len(corrupt) == 1 and "file " in corrupt[0] and "record " in corrupt[0]
    missing = [m for m in card.messages if "missing field" in m or "empty field" in m or "expected" in m]
    assert missing and all("file " in m and "record " in m for m in missing)


@pytest.mark.parametrize("task", ESCAPE_FIXTURES)
def test_path_escaping_root_is_refused_and_counted(built, task):
    _, card = built[task]
    assert card.skipped["unsafe_path"] == 1
    assert any("escapes the dataset root" in m for m in card.messages)


def test_build_fails_past_skip_ratio_and_writes_nothing(raw_dir, tmp_path):
    out = tmp_path / "rd.parquet"
    with pytest.raises(SkipRatioExceeded, match="exceeds the allowed skip ratio"):
        build_split("Relative_Depth", fixture_root(raw_dir, "Relative_Depth"), out, max_skip_ratio=0.01,
                    progress=None)
    assert not out.exists()
    assert not any(tmp_path.iterdir()), "no partial or temporary output left behind"


def test_resolve_under_refuses_escapes(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "ok.jpg").write_bytes(b"x")
    (tmp_path / "secret.jpg").write_bytes(b"x")
    assert resolve_under(root, "a/ok.jpg") == (root / "a" / "ok.jpg").resolve()
    for bad in ("../secret.jpg", "a/../../secret.jpg", str(tmp_path / "secret.jpg"), ""):
        with pytest.raises(UnsafePath):
            resolve_under(root, bad, file="ann.json", record="r1")
    os.symlink(tmp_path / "secret.jpg", root / "a" / "link.jpg")
    with pytest.raises(UnsafePath, match="escapes"):
        resolve_under(root, "a/link.jpg")
    with pytest.raises(MissingFile, match="not found"):
        resolve_under(root, "a/absent.jpg")


def test_corrupt_image_error_names_file(tmp_path):
    bad = tmp_path / "bad.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(buf, format="JPEG")
    bad.write_bytes(buf.getvalue()[:100])
    for fn in (open_image, passthrough_image):
        with pytest.raises(CorruptImage) as info:
            fn(bad, record="r7")
        assert str(bad) in str(info.value) and "r7" in str(info.value)
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(CorruptImage):
        open_image(tmp_path / "text.jpg")


def test_corrupt_image_message_is_the_same_every_run(tmp_path):
    """Pillow names the in-memory file by address; data cards must not carry it."""
    (tmp_path / "text.png").write_text("not an image")
    messages = set()
    for _ in range(2):
        with pytest.raises(CorruptImage) as info:
            passthrough_image(tmp_path / "text.png", record="r1")
        messages.add(str(info.value))
    assert len(messages) == 1 and " at 0x" not in messages.pop()


def test_missing_field_error_names_file_and_record(raw_dir):
    from tasktransfer.data.sources.spair import pair_names, pair_file, read_pair
    from tasktransfer.data.errors import MissingField

    root = fixture_root(raw_dir, "Semantic_Correspondence")
    errors = []
    for name in pair_names(root, "train"):
        try:
            read_pair(pair_file(root, "train", name))
        except MissingField as exc:
            errors.append(exc)
    assert len(errors) == 1
    assert errors[0].file.endswith(".json") and errors[0].record and "`trg_kps`" in str(errors[0])
