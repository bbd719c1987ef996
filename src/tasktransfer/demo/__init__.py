"""Generated data for the embedded default and the planted-structure end-to-end test."""
