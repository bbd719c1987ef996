"""Planning a study before running it: its GPU jobs and their GPU-hours."""

from .estimate import Estimate, estimate, load_throughput, measured_seconds, summarize
from .jobs import PlannedJob, eval_questions, planned_jobs, training_samples

__all__ = [
    "Estimate",
    "PlannedJob",
    "estimate",
    "eval_questions",
    "load_throughput",
    "measured_seconds",
    "planned_jobs",
    "summarize",
    "training_samples",
]
