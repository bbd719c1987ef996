import copy
from pathlib import Path

import pytest
import yaml

from tasktransfer.config import ConfigError, check_config, load_config
from tasktransfer.config.resolve import train_params

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def paper():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml", "planted.yaml"])
def test_shipped_configs_are_valid(name):
    load_config(ROOT / "config" / name)


def test_paper_config_is_the_paper_grid(paper):
    assert sorted(paper["models"]) == ["Qwen2.5-VL-32B", "Qwen2.5-VL-3B", "Qwen2.5-VL-7B"]
    assert len(paper["tasks"]) == 13 and paper["seeds"] == [0, 1, 2, 3]
    assert paper["tasks"]["Relative_Depth"] == {"examples": 420000, "epochs": 1, "lr": 1.0e-4}
    assert train_params(paper, "Qwen2.5-VL-7B", "Object_Localization")["lora"]["r"] == 64
    assert train_params(paper, "Qwen2.5-VL-7B", "Counting")["lora"]["r"] == 8


def _bad(paper, mutate):
    cfg = copy.deepcopy(paper)
    mutate(cfg)
    with pytest.raises(ConfigError) as info:
        check_config(cfg)
    return str(info.value)


def test_unknown_task(paper):
    msg = _bad(paper, lambda c: c["tasks"].update({"Relative_Dept": {"epochs": 1, "lr": 1e-4}}))
    assert "`tasks.Relative_Dept`: unknown task (did you mean 'Relative_Depth'?)" in msg


def test_negative_lr(paper):
    msg = _bad(paper, lambda c: c["tasks"]["Counting"].update(lr=-1e-4))
    assert "config key `tasks.Counting.lr`: value -0.0001 is out of range; expected > 0" in msg


def test_missing_models(paper):
    msg = _bad(paper, lambda c: c.pop("models"))
    assert "config key `<top level>`: 'models' is a required property" in msg


def test_model_without_path(paper):
    msg = _bad(paper, lambda c: c["models"]["Qwen2.5-VL-3B"].pop("path"))
    assert "config key `models.Qwen2.5-VL-3B`: 'path' is a required property" in msg


def test_typo_in_key(paper):
    msg = _bad(paper, lambda c: c["training"].update(warmup_ration=0.1))
    assert "config key `training`: unknown key 'warmup_ration' (did you mean 'warmup_ratio'?)" in msg
    assert "expected one of: attention, checkpoint_minutes, checkpoint_steps, global_batch, gradient_checkpointing" in msg


def test_epochs_and_steps_exclusive(paper):
    msg = _bad(paper, lambda c: c["tasks"]["Counting"].update(max_steps=10))
    assert "config key `tasks.Counting`: give exactly one of `epochs` or `max_steps`" in msg


def test_bad_enum(paper):
    msg = _bad(paper, lambda c: c["data"].update(mode="download"))
    assert "config key `data.mode`: value 'download' is not allowed; expected one of ['raw', 'generated']" in msg


def test_category_member_must_be_a_task(paper):
    msg = _bad(paper, lambda c: c["categories"]["semantic"]["Pixel"].append("IQ_Test"))
    assert "config key `categories.semantic.Pixel`: task 'IQ_Test' is not in `tasks`" in msg


def test_load_config_names_the_file(tmp_path, paper):
    paper["seeds"] = [-1]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(paper))
    with pytest.raises(ConfigError, match=r"c\.yaml: invalid config:\n  config key `seeds.0`"):
        load_config(path)


def test_one_task_lr_changes_only_that_tasks_params(paper):
    before = {t: train_params(paper, "Qwen2.5-VL-3B", t) for t in paper["tasks"]}
    paper["tasks"]["Jigsaw"]["lr"] = 5e-4
    after = {t: train_params(paper, "Qwen2.5-VL-3B", t) for t in paper["tasks"]}
    assert [t for t in before if before[t] != after[t]] == ["Jigsaw"]


def test_evaluation_scoring_keys_are_validated(paper):
    assert "value 'judge' is not allowed" in _bad(paper, lambda c: c["evaluation"].update(scoring="judge"))
    assert "evaluation.parser" in _bad(paper, lambda c: c["evaluation"].update(parser="gpt"))
    assert "expected >= 1" in _bad(paper, lambda c: c["evaluation"].update(max_new_tokens=0))
    assert "wrong type" in _bad(paper, lambda c: c["evaluation"].update(parity="yes"))


def test_evaluation_defaults_match_the_library():
    """The schema's defaults are the ones the library falls back to when a key is absent."""
    from tasktransfer.config import schema_path
    from tasktransfer.evaluate.generate import DEFAULT_PARSER, LMMS_EVAL_MAX_NEW_TOKENS

    props = yaml.safe_load(schema_path().read_text())["properties"]["evaluation"]["properties"]
    assert props["scoring"]["default"] == "letter" and props["parity"]["default"] is False
    assert props["parser"]["default"] == DEFAULT_PARSER
    assert props["max_new_tokens"]["default"] == LMMS_EVAL_MAX_NEW_TOKENS


def test_letter_scoring_params_ignore_the_generation_settings(paper):
    """Letter-mode evaluation params are exactly what they were before generation mode existed."""
    from tasktransfer.config.resolve import eval_params, parity_params
    from tasktransfer.versions import STAGE_VERSIONS

    model = "Qwen2.5-VL-7B"
    letter = eval_params(paper, model)
    assert letter == {"batch_size": 8, "dtype": "bfloat16", "code_version": STAGE_VERSIONS["eval"]}
    paper["evaluation"].update(parser="blink", max_new_tokens=7)
    assert eval_params(paper, model) == letter
    paper["evaluation"]["scoring"] = "generate"
    assert eval_params(paper, model) == {**letter, "scoring": "generate", "parser": "blink", "max_new_tokens": 7}
    parity = parity_params(paper, model)
    assert parity["max_new_tokens"] == 7 and "parser" not in parity and "scoring" not in parity
