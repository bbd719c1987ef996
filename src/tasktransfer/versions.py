"""Code versions per pipeline stage: the rerun policy for library edits.

Snakemake reruns a job when its params change, but it does not see edits to imported
library code. Each stage's params carry its version from this table, so:
- a library change that alters a stage's results MUST bump that stage's number here
  (then exactly that stage and everything downstream reruns);
- a refactor, a speed-up or a plotting change leaves the numbers alone (nothing reruns).
tests/test_versions.py pins a digest of each stage's result-relevant source files so a
change to them without a decision (bump, or re-pin as "no result change") fails CI.
"""

STAGE_VERSIONS: dict[str, int] = {
    "model": 1,
    "data": 1,
    "train": 1,
    "eval": 1,
    "analysis": 1,
}
