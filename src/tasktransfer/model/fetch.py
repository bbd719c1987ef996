"""Download a hub model once into a local folder that GPU jobs then read offline.

Runs as a local rule on the cluster's login node (compute nodes often have no internet).
"""

from __future__ import annotations

from pathlib import Path

from ..atomic import atomic_dir


def fetch_model(hub_id: str, out_dir: str | Path) -> Path:
    from huggingface_hub import snapshot_download

    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        snapshot_download(
            repo_id=hub_id,
            local_dir=str(tmp),
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.py", "*.tiktoken"],
        )
    return out
