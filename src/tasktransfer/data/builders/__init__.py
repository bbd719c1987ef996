"""Task builders (one module per task); each registers itself on import."""
