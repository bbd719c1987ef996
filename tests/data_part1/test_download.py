"""Download recipes: skip when present, unpack safely, explain manual datasets."""

from __future__ import annotations

import io
import tarfile

import pytest

from tasktransfer.data import download
from tasktransfer.data.download import Archive, DatasetSource, ensure_dataset, extract
from tasktransfer.data.errors import DataError


def _tar(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_download_unpacks_and_then_skips(tmp_path, monkeypatch):
    archive = tmp_path / "seqs.tar.gz"
    _tar(archive, {"hp/v_a/1.ppm": b"P6", "hp/v_a/H_1_2": b"1 0 0"})
    src = DatasetSource("hp", ("v_a/1.ppm",), (Archive(archive.as_uri()),))
    monkeypatch.setitem(download.SOURCES, "hp", src)
    raw = tmp_path / "raw"
    assert ensure_dataset("hp", raw, log=lambda m: None) == "downloaded"
    assert (raw / "hp" / "v_a" / "H_1_2").read_bytes() == b"1 0 0"
    assert not list((raw / ".downloads").iterdir()), "archives removed after unpacking"
    calls = []
    assert ensure_dataset("hp", raw, fetch=lambda u, d: calls.append(u), log=lambda m: None) == "present"
    assert calls == []


def test_unsafe_archive_member_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    _tar(archive, {"../evil.txt": b"x"})
    with pytest.raises(DataError, match="unsafe"):
        extract(archive, tmp_path / "into")
    assert not (tmp_path / "evil.txt").exists()


def test_manual_dataset_explains_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="no public download"):
        ensure_dataset("FunKPoint", tmp_path, log=lambda m: None)
    with pytest.raises(DataError, match="no download recipe"):
        ensure_dataset("nothing-here", tmp_path, log=lambda m: None)
    (tmp_path / "own").mkdir()
    assert ensure_dataset("own", tmp_path, log=lambda m: None) == "present"


def test_every_part1_dataset_has_a_recipe():
    from tasktransfer.data.fixtures import fixture_spec

    from .conftest import PART1_TASKS

    for task in PART1_TASKS:
        src = download.SOURCES[fixture_spec(task).dataset_dir]
        assert src.archives or src.manual
        assert all(a.url.startswith(("http://", "https://")) for a in src.archives)
