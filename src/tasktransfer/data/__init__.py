"""Training and evaluation data: raw source datasets -> canonical multiple-choice splits."""
