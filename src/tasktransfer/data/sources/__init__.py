"""Readers of raw source datasets, one module per dataset, each reading its real layout."""
