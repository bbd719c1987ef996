"""The `extensions:` config section."""

from __future__ import annotations

import pytest

from tasktransfer.extensions.settings import ExtensionSettings

MODELS = ["tiny", "big"]
TASKS = ["a", "b", "c", "d"]


def resolve(section):
    return ExtensionSettings.from_config(section, MODELS, TASKS, [0, 1])


def test_defaults_filled_from_config():
    s = resolve(None)
    assert s.selection.enabled and s.balance.enabled
    assert s.selection.model == "tiny" and s.selection.targets == tuple(TASKS) and s.selection.train_seeds == (0, 1)
    assert (s.selection.k, s.selection.n_random, s.selection.significant_only) == (3, 3, False)
    assert s.balance.form == "simple" and s.balance.mini_fraction == 1 / 32
    assert (s.balance.visatb.temperature, s.balance.visatb.alpha_d) == (0.5, 0.5)
    assert s.balance.strategies == ("vitw", "ew", "tla")


def test_explicit_values():
    s = resolve({"selection": {"targets": ["b"], "k": 2, "model": "big", "train_seeds": [3]}, "balance": {"enabled": False, "form": "full", "temperature": 1.0}})
    assert s.selection.targets == ("b",) and s.selection.k == 2 and s.selection.model == "big" and s.selection.train_seeds == (3,)
    assert not s.balance.enabled and s.balance.form == "full" and s.balance.visatb.temperature == 1.0


@pytest.mark.parametrize(
    "section, match",
    [
        ({"selcetion": {}}, r"`extensions.selcetion`: unknown key \(did you mean `selection`\?\)"),
        ({"selection": {"topk": 2}}, r"`extensions.selection.topk`: unknown key"),
        ({"selection": {"targets": ["z"]}}, r"`extensions.selection.targets`: \['z'\] are not training tasks"),
        ({"selection": {"k": 4}}, r"`extensions.selection.k`: 4 exceeds the 3 tasks"),
        ({"selection": {"k": 0}}, r"`extensions.selection.k`: expected an integer >= 1, got 0"),
        ({"selection": {"model": "huge"}}, r"`extensions.selection.model`: 'huge' is not a configured model"),
        ({"selection": {"alpha": 0}}, r"`extensions.selection.alpha`: expected a number in \(0.0, 1.0\]"),
        ({"selection": {"enabled": "yes"}}, r"`extensions.selection.enabled`: expected true or false"),
        ({"balance": {"form": "precise"}}, r"`extensions.balance.form`: 'precise' is not allowed"),
        ({"balance": {"mini_fraction": 0}}, r"`extensions.balance.mini_fraction`: expected a number in"),
        ({"balance": {"strategies": ["vitw", "rlw"]}}, r"`extensions.balance.strategies`: got \['vitw', 'rlw'\]"),
        ({"balance": {"alpha_d": 0.9}}, r"`extensions.balance`: `alpha_out` \+ `alpha_in` \+ `alpha_d` must sum to 1"),
        ({"balance": {"undefined": "nan"}}, r"`extensions.balance.undefined`: 'nan' is not allowed"),
        ({"balance": {"lr": -1}}, r"`extensions.balance.lr`: expected a number > 0 or null, got -1"),
        ({"balance": {"train_seeds": []}}, r"`extensions.balance.train_seeds`: expected a non-empty list"),
    ],
)
def test_bad_values_name_the_key(section, match):
    with pytest.raises(ValueError, match=match):
        resolve(section)
