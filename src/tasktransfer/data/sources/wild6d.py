"""Wild6D test set: RGB-D videos orbiting one object, with per-frame object poses.

Layout::

    <root>/test_set/<cat>/<scene>/<video>/images/<frame>.jpg   (+ <frame>-mask.png, <frame>-depth.png)
    <root>/test_set/<cat>/<scene>/<video>/metadata             (JSON with the intrinsics K)
    <root>/test_set/pkl_annotations/<cat>/<cat>-<scene>-<video>.pkl

A pickle holds ``{'annotations': [...]}`` with one entry per frame (``class_id``,
``rotation`` 3x3, ``translation`` 3, ``size`` 3): the object's pose in camera
coordinates. Entries are matched to frames by a ``name``/``frame`` key when present,
otherwise by position in numeric frame order. Pickles are loaded with an allow-list
unpickler (numpy arrays and plain containers only), never with ``pickle.load``.
"""

from __future__ import annotations

import io
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MissingField

CATEGORIES = ("bottle", "bowl", "camera", "laptop", "mug")
_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy", "float64"), ("numpy", "float32"), ("numpy", "int64"),
    ("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"),
    ("_codecs", "encode"),
}
_FRAME = re.compile(r"^(\d+)\.(jpg|jpeg|png)$", re.IGNORECASE)


class _AllowListUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from an annotation pickle")
        return super().find_class(module, name)


@dataclass(frozen=True)
class Video:
    category: str
    scene: str
    video: str
    pkl: Path
    frames_dir: Path

    @property
    def key(self) -> str:
        return f"{self.category}/{self.scene}/{self.video}"


@dataclass(frozen=True)
class FramePose:
    frame: Path
    rotation: np.ndarray  # 3x3, object -> camera
    translation: np.ndarray  # 3

    @property
    def camera_centre(self) -> np.ndarray:
        """Camera centre in object coordinates: ``-R^T t``."""
        return -self.rotation.T @ self.translation


def list_videos(root: Path) -> list[Video]:
    ann = root / "test_set" / "pkl_annotations"
    if not ann.is_dir():
        raise FileNotFoundError(f"Wild6D pose annotations {ann} not found (expected test_set/pkl_annotations/<cat>/)")
    videos = []
    for pkl in sorted(ann.glob("*/*.pkl")):
        parts = pkl.stem.split("-")
        cat = pkl.parent.name
        if len(parts) != 3 or parts[0] != cat:
            continue  # not a <cat>-<scene>-<video>.pkl file
        videos.append(Video(cat, parts[1], parts[2], pkl, root / "test_set" / cat / parts[1] / parts[2] / "images"))
    if not videos:
        raise FileNotFoundError(f"no <cat>-<scene>-<video>.pkl files under {ann}")
    return videos


def list_frames(frames_dir: Path) -> list[Path]:
    """RGB frames (``<n>.jpg``; masks and depth maps excluded), in numeric order."""
    frames = [p for p in frames_dir.iterdir() if _FRAME.match(p.name)] if frames_dir.is_dir() else []
    return sorted(frames, key=lambda p: int(_FRAME.match(p.name).group(1)))


def _matrix(entry: dict, key: str, shape: tuple[int, ...], file: Path, record: str) -> np.ndarray:
    if not isinstance(entry, dict) or key not in entry:
        raise MissingField(f"missing field `{key}`", file=file, record=record)
    try:
        m = np.asarray(entry[key], dtype=np.float64).reshape(shape)
    except (ValueError, TypeError):
        raise MissingField(f"`{key}` is not a {shape} numeric array", file=file, record=record) from None
    if not np.isfinite(m).all():
        raise MissingField(f"`{key}` has non-finite values", file=file, record=record)
    return m


def read_poses(video: Video) -> list[FramePose]:
    """Per-frame poses of a video; :class:`MissingField` names the pickle and entry on any gap."""
    try:
        doc = _AllowListUnpickler(io.BytesIO(video.pkl.read_bytes())).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise MissingField(f"unreadable annotation pickle ({exc})", file=video.pkl, record=video.key) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("annotations"), list):
        raise MissingField("missing field `annotations` (a list, one entry per frame)", file=video.pkl,
                           record=video.key)
    frames = list_frames(video.frames_dir)
    by_name = {p.stem: p for p in frames}
    anns = doc["annotations"]
    named = all(isinstance(a, dict) and any(k in a for k in ("name", "frame")) for a in anns)
    if not named and len(anns) != len(frames):
        raise MissingField(f"{len(anns)} annotations but {len(frames)} frames in {video.frames_dir}",
                           file=video.pkl, record=video.key)
    poses = []
    for k, a in enumerate(anns):
        if isinstance(a, list) and len(a) == 1:
            a = a[0]
        rec = f"{video.key} annotations[{k}]"
        if named:
            stem = Path(str(a.get("name", a.get("frame")))).stem
            if stem not in by_name:
                raise MissingField(f"frame {stem!r} has no image in {video.frames_dir}", file=video.pkl, record=rec)
            frame = by_name[stem]
        else:
            frame = frames[k]
        poses.append(FramePose(frame, _matrix(a, "rotation", (3, 3), video.pkl, rec),
                               _matrix(a, "translation", (3,), video.pkl, rec)))
    return poses
