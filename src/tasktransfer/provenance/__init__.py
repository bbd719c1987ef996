"""Provenance of a run: the manifest saved with the results and shown in the report."""

from .data_cards import read_cards, render_cards_html
from .checksums import ChecksumCache, checksum_files, config_hash, sha256_file
from .environment import hardware, package_versions
from .git import git_state
from .jobs import JobSpec, discover_benchmarks, job_records, logged_jobs, read_benchmark, slurm_id_key, slurm_job_ids, summarize
from .manifest import build_manifest, render_html, seeds_of
from .table_pages import render_table_page, write_table_pages

__all__ = [
    "ChecksumCache",
    "JobSpec",
    "build_manifest",
    "checksum_files",
    "config_hash",
    "discover_benchmarks",
    "git_state",
    "hardware",
    "job_records",
    "logged_jobs",
    "package_versions",
    "read_benchmark",
    "read_cards",
    "render_cards_html",
    "render_html",
    "render_table_page",
    "seeds_of",
    "sha256_file",
    "slurm_id_key",
    "slurm_job_ids",
    "summarize",
    "write_table_pages",
]
