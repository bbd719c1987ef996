"""Download the NYT pictures a TARA jsonl folder links to, named by TARA's rule.

    python download_tara_images.py INPUT_DIR IMAGE_DIR

Existing files are kept (re-runs resume); pictures that cannot be fetched are listed on
stderr and left out (the Jigsaw builder counts them as missing files).
"""

import sys
import urllib.request
from pathlib import Path

from tasktransfer.atomic import atomic_path
from tasktransfer.data.errors import BadRecord
from tasktransfer.data.sources.tara import read_tara


def main(input_dir: str, image_dir: str) -> int:
    out = Path(image_dir)
    failed = 0
    for jsonl in sorted(Path(input_dir).glob("*.jsonl*")):
        for rec in read_tara(jsonl):
            if isinstance(rec, BadRecord) or (out / rec.image).exists():
                continue
            try:
                with urllib.request.urlopen(rec.image_url, timeout=30) as resp, atomic_path(out / rec.image) as tmp:
                    tmp.write_bytes(resp.read())
            except OSError as exc:
                failed += 1
                print(f"{rec.image_url}: {exc}", file=sys.stderr)
    print(f"done; {failed} picture(s) could not be fetched", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
