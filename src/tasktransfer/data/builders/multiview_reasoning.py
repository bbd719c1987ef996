"""Multi-view_Reasoning from Wild6D: first and last frames of an orbit, "is the camera moving left or right?".

Label rule ``camera_centre_shift``: with camera centres ``C = -R^T t`` in object
coordinates, ``s = (C2 - C1) . x1`` where ``x1`` is frame 1's right axis (row 0 of its
rotation); ``s < 0`` is left (A), ``s > 0`` right (B). Frame 1 is drawn from the first
``edge_fraction`` of the video and frame 2 from the last, and the orbit angle between
the two centres (seen from the object) must be at least ``min_orbit_deg``. To balance
letters, a pair whose direction differs from the wanted one is shown in reverse order
(a reversed orbit is an orbit the other way), kept only if the rule then agrees.
Frames get no markers, so their bytes pass through. Videos are split by name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ...splits import Example
from ..context import BuildContext
from ..errors import BadRecord, Filtered
from ..registry import Builder, Item, register_builder
from ..sources.wild6d import FramePose, list_videos, read_poses
from ..splitting import group_split

CHOICES = ["left", "right"]


@dataclass(frozen=True)
class MultiviewReasoningParams:
    pairs_per_video: int = 25
    edge_fraction: float = 0.25
    min_orbit_deg: float = 15.0
    val_fraction: float = 0.05
    test_fraction: float = 0.05


def orbit(p1: FramePose, p2: FramePose) -> tuple[float, float]:
    """(signed shift along frame 1's right axis, orbit angle in degrees) from frame 1 to frame 2."""
    c1, c2 = p1.camera_centre, p2.camera_centre
    shift = float((c2 - c1) @ p1.rotation[0])
    denom = float(np.linalg.norm(c1) * np.linalg.norm(c2))
    angle = math.degrees(math.acos(max(-1.0, min(1.0, float(c1 @ c2) / denom)))) if denom > 0 else 0.0
    return shift, angle


@register_builder
class MultiviewReasoningBuilder(Builder):
    task = "Multi-view_Reasoning"
    source = "Wild6D"
    splits = ("train", "val", "test")
    Params = MultiviewReasoningParams
    marks_images = False

    def __init__(self) -> None:
        self._owed: int | None = None  # a letter the previous video drew but could not use

    def items(self, raw_root: Path, split: str, params: MultiviewReasoningParams) -> Iterator[Item | BadRecord]:
        for v in list_videos(raw_root):
            if group_split(v.key, params.val_fraction, params.test_fraction, "Wild6D") == split:
                yield Item(v.key, (f"Wild6D:{v.key}",), v)

    def examples(self, item: Item, ctx: BuildContext) -> Iterator[Example]:
        poses = read_poses(item.data)
        p = ctx.params
        n_edge = max(1, int(len(poses) * p.edge_fraction))
        if len(poses) < 2 * n_edge:
            raise Filtered("video_too_short")
        starts, ends = range(n_edge), range(len(poses) - n_edge, len(poses))
        rng = ctx.rng("frames")
        seen: set[tuple[int, int]] = set()
        made = 0
        out: list[Example] = []
        wanted: int | None = self._owed
        for _ in range(p.pairs_per_video * 4):
            if made == p.pairs_per_video:
                break
            i, j = rng.choice(starts), rng.choice(ends)
            if (i, j) in seen:
                continue
            seen.add((i, j))
            shift, angle = orbit(poses[i], poses[j])
            if angle < p.min_orbit_deg or shift == 0:
                continue
            if wanted is None:
                wanted = ctx.balancer.next_position()  # 0 = left, 1 = right
            a, b = (i, j)
            if (shift > 0) != (wanted == 1):
                a, b = j, i
                shift, _ = orbit(poses[a], poses[b])
                if (shift > 0) != (wanted == 1):
                    continue
            rec = f"video {item.key}"
            images = [ctx.passthrough(poses[a].frame, record=rec), ctx.passthrough(poses[b].frame, record=rec)]
            made += 1
            out.append(ctx.example(
                f"{poses[a].frame.stem}-{poses[b].frame.stem}", images, CHOICES, "AB"[wanted],
                meta={"frames": [poses[a].frame.name, poses[b].frame.name], "shift": round(shift, 6),
                      "orbit_deg": round(angle, 3)},
            ))
            wanted = None
        if not made:
            raise Filtered("no_frame_pair_with_enough_orbit")
        self._owed = wanted  # only after the item succeeded
        yield from out
