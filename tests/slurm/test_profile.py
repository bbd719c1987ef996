"""The shipped Slurm profile, checked without a cluster: rule names, units, user settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from snakemake.resources import Resource

ROOT = Path(__file__).resolve().parents[2]
PROFILE_TEXT = (ROOT / "profiles" / "slurm" / "profile.yaml").read_text()
PROFILE = yaml.safe_load(PROFILE_TEXT)
RULE_FILES = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
RULES = {m for f in RULE_FILES for m in re.findall(r"^\s*rule (\w+):", f.read_text(), re.M)}
GPU_RULES = {
    name
    for f in RULE_FILES
    for name, body in re.findall(r"^\s*rule (\w+):(.*?)(?=^\s*rule \w+:|\Z)", f.read_text(), re.M | re.S)
    if re.search(r"^\s+gpu=", body, re.M)
}


def _runtime_minutes(expression: str, attempt: int) -> int:
    value = eval(expression, {"attempt": attempt})  # the namespace Snakemake gives it
    assert isinstance(value, str) and value[-1] in "smhd", f"runtime {value!r} has no unit"
    return Resource.parse_human_friendly("runtime", value)


def test_set_resources_name_existing_rules():
    assert set(PROFILE["set-resources"]) <= RULES, set(PROFILE["set-resources"]) - RULES


def test_every_gpu_rule_has_gpu_partition_and_model():
    assert {"train_lora", "eval_base", "eval_checkpoint"} <= GPU_RULES
    for rule in GPU_RULES:
        res = PROFILE["set-resources"].get(rule)
        assert res, f"GPU rule {rule} has no set-resources (it would land on the CPU partition)"
        assert {"slurm_partition", "gpu_model", "cpus_per_task", "mem_mb", "runtime"} <= set(res), rule


@pytest.mark.parametrize(
    "rule, resources",
    [("default-resources", PROFILE["default-resources"]), *PROFILE["set-resources"].items()],
)
def test_runtimes_carry_units_and_grow_with_attempts(rule, resources):
    if "runtime" not in resources:
        pytest.skip(f"{rule} uses the default runtime")
    minutes = [_runtime_minutes(resources["runtime"], attempt) for attempt in (1, 2, 3)]
    assert minutes[0] > 0 and minutes[0] < minutes[1] < minutes[2], (rule, minutes)


def test_retries_requeue_caps_and_logs():
    assert PROFILE["executor"] == "slurm"
    assert PROFILE["retries"] >= 1 and PROFILE["slurm-requeue"] is True
    assert PROFILE["jobs"] > 0 and any(r.startswith("gpu=") for r in PROFILE["resources"])
    assert PROFILE["slurm-logdir"] and PROFILE["slurm-keep-successful-logs"] is True


def test_user_settings_are_marked():
    marked = re.findall(r"^\s*([\w-]+):.*# USER SETTING", PROFILE_TEXT, re.M)
    assert set(marked) == {"slurm_account", "slurm_partition", "gpu_model", "slurm-status-command"}
    for line in PROFILE_TEXT.splitlines():
        if re.match(r"^\s*(slurm_partition|gpu_model|slurm_account):", line):
            assert "# USER SETTING" in line, line


def test_downloads_are_local_rules():
    text = "\n".join(f.read_text() for f in RULE_FILES)
    fetch = re.search(r"rule fetch_model:(.*?)(?=^rule |\Z)", text, re.S | re.M)[1]
    assert "localrule: True" in fetch
    assert re.search(r"localrules:\s*\n\s*raw_dataset", text)
