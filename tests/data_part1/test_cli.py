"""`tasktransfer data ...` end to end through the console entry point."""

from __future__ import annotations

import json

from tasktransfer.cli import main


def test_fixtures_build_merge_render(tmp_path, capsys):
    raw = tmp_path / "raw"
    assert main(["data", "fixtures", "--out", str(raw), "--seed", "1", "--tasks", "Object_Localization"]) == 0
    assert (raw / "LVIS" / "lvis_v1_train.json").is_file()
    shards = []
    for k in range(2):
        out = tmp_path / f"ol{k}.parquet"
        assert main(["data", "build", "--task", "Object_Localization", "--raw-root", str(raw / "LVIS"), "--out",
                     str(out), "--shard", f"{k}/2", "--seed", "1", "--quiet", "--param", "iou_max=0.45"]) == 0
        shards.append(str(out))
    capsys.readouterr()
    assert main(["data", "merge", "--out", str(tmp_path / "ol.parquet"), *shards]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert merged["examples"] > 30
    card = json.loads((tmp_path / "ol.card.json").read_text())
    assert card["params"]["iou_max"] == 0.45 and card["counts"]["examples"] == merged["examples"]
    assert main(["data", "render", str(tmp_path / "ol.parquet"), "--out", str(tmp_path / "ol.png")]) == 0
    assert (tmp_path / "ol.png").stat().st_size > 1000


def test_input_errors_are_one_line(tmp_path, capsys):
    assert main(["data", "build", "--task", "Relative_Depth", "--raw-root", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "x.parquet")]) == 2
    err = capsys.readouterr().err
    assert "is not a directory" in err and "Traceback" not in err
    assert main(["data", "build", "--task", "Relative_Depth", "--raw-root", str(tmp_path), "--out",
                 str(tmp_path / "x.parquet"), "--shard", "2/2"]) == 2
    assert "0 <= K < N" in capsys.readouterr().err
