"""Library edits are never silently ignored by the rerun policy (src/tasktransfer/versions.py)."""

from tasktransfer import versions


def test_every_stage_has_sources():
    for stage in versions.STAGE_VERSIONS:
        assert versions.stage_files(stage), stage


def test_stage_sources_are_pinned():
    problems = versions.unpinned_changes()
    assert not problems, "\n".join(problems)
