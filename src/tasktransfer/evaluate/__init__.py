"""Evaluation: score the option letters of every question in one forward pass."""
