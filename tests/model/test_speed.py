"""The measuring parts of benchmarks/speed.py, on real frames (no timing is asserted)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.speed import FRAME_SIZE, Original, model_flops, real_frames
from pose.media.images import load_image
from tests.helpers.paths import COCO_DIR


def test_benchmark_frames_are_real_640x480_rgb():
    frames = real_frames()
    assert len(frames) >= 5
    for frame in frames:
        assert frame.shape == (FRAME_SIZE[1], FRAME_SIZE[0], 3) and frame.dtype == np.uint8
        assert frame.std() > 20  # a street scene, not a blank frame


def test_flop_count_agrees_with_tensorflow_profiler():
    ours, profiled = model_flops(432, 320)
    assert 8.0e9 < ours < 9.5e9
    assert profiled is not None and abs(ours - profiled) / profiled < 0.01
    larger, _ = model_flops(656, 488)
    # Fully convolutional: operations grow with the pixel count.
    assert larger / ours == pytest.approx(656 * 488 / (432 * 320), rel=0.02)


def test_original_approach_finds_and_draws_the_skier():
    image = load_image(COCO_DIR / "000000000785.jpg")
    bgr = np.ascontiguousarray(image[:, :, ::-1])
    original = Original()
    heatmaps = original.forward(bgr)
    assert heatmaps.shape == (1, 19, 368 // 8, 432 // 8)  # NCHW at the 432x368 blob
    _, peak, _, _ = cv2.minMaxLoc(heatmaps[0, 1])  # the neck
    assert peak > 0.5
    drawn = original.frame(bgr.copy())
    assert drawn.shape == bgr.shape and (drawn != bgr).any()
