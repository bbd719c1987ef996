"""Markers: drawn where asked, scaled with the image, deterministic."""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasktransfer.data.markers import Box, MarkerStyle, Point, draw_boxes, draw_points


def _red(arr: np.ndarray) -> np.ndarray:
    return (arr[..., 0] > 200) & (arr[..., 1] < 60) & (arr[..., 2] < 60)


def test_point_ring_is_red_around_the_point_and_label_is_above():
    img = Image.new("RGB", (640, 480), (128, 128, 128))
    out = np.asarray(draw_points(img, [Point(300, 200, "A")]))
    ys, xs = np.nonzero(_red(out))
    assert abs(xs.mean() - 300) < 1.5 and abs(ys.mean() - 200) < 1.5
    r = MarkerStyle.for_size((640, 480)).radius
    assert xs.max() - xs.min() >= 2 * r - 1
    dark = out.sum(axis=2) < 60
    assert dark[:200 - r].any() and not dark[200 + r:].any(), "black tag sits above the ring"
    assert np.asarray(img).std() == 0, "input image untouched"


def test_label_moves_below_near_top_and_stays_inside():
    img = Image.new("RGB", (200, 150), (128, 128, 128))
    out = np.asarray(draw_points(img, [Point(2, 2, "REF")]))
    dark = out.sum(axis=2) < 60
    assert dark[6:].any() and dark.shape == (150, 200)


def test_markers_scale_with_image_size():
    assert MarkerStyle.for_size((1280, 960)).radius > MarkerStyle.for_size((320, 240)).radius
    assert MarkerStyle.for_size((500, 375)).radius == 6  # BLINK's ring on a 500 px image is ~12 px wide


def test_drawing_is_deterministic_and_boxes_outline():
    img = Image.new("RGB", (320, 240), (200, 200, 200))
    boxes = [Box(20, 30, 120, 150, "A"), Box(60, 50, 300, 220, "B")]
    a, b = draw_boxes(img, boxes), draw_boxes(img, boxes)
    assert a.tobytes() == b.tobytes()
    arr = np.asarray(a)
    assert _red(arr)[100, 20] and _red(arr)[100, 120] and not _red(arr)[100, 70]
    blue = (arr[..., 2] > 200) & (arr[..., 0] < 60)
    assert blue[150, 300]
