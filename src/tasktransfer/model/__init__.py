"""Models: the built-in tiny Qwen2.5-VL (offline, deterministic) and loading of real ones."""
