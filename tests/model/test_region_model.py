"""The region path (pose.video.region) on the real model: videos and webcam frames run windows
around the people, find what full frames find, and the worker pool's results equal a serial
run of the same policy."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from pose.media.images import load_image
from pose.media.video_reader import iter_frames, open_video
from pose.media.video_writer import VideoWriter
from pose.photo.estimate import decode_output, estimate, resolve_box
from pose.video.live import WebcamSession
from pose.video.process import process_video
from pose.video.region import (
    DEFAULT_POLICY,
    Window,
    grid_of,
    infer_windows,
    plan_cells,
    serial_plan,
)
from tests.helpers.paths import COCO_DIR
from ui.video import video_summary

FRAME = (640, 480)


def small_person_frame() -> np.ndarray:
    """The skier photo at 60 % on a grey 640x480 frame: most of the frame holds nobody."""
    photo = load_image(COCO_DIR / "000000000785.jpg")  # 640x425, one person
    small = cv2.resize(photo, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA)
    frame = np.full((FRAME[1], FRAME[0], 3), 128, np.uint8)
    frame[60 : 60 + small.shape[0], 100 : 100 + small.shape[1]] = small
    return frame


@pytest.fixture(scope="module")
def still_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("region") / "still.mp4"
    frame = small_person_frame()
    with VideoWriter(path, *FRAME, Fraction(10)) as writer:
        for _ in range(14):
            writer.write(frame)
    return path


def decoded(path) -> list[np.ndarray]:
    container, info = open_video(path)
    with container:
        return [image for _, _, image in iter_frames(container, info)]


def same_people(mine, theirs, tolerance: float) -> None:
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs, strict=True):
        assert np.array_equal(a.visible, b.visible)
        assert np.abs(a.keypoints[:, :2] - b.keypoints[:, :2])[a.visible].max() <= tolerance


def test_video_runs_windows_and_equals_a_serial_run_of_the_policy(tmp_path, still_clip, model):
    result = process_video(still_clip, tmp_path / "out.mp4", model=model, workers=2)
    windows = result.windows
    assert len(windows) == len(result.frames) == 14
    assert windows[0] is None and any(plan is not None for plan in windows)
    grid = grid_of(result.width, result.height, resolve_box(None))
    shares = [plan_cells(plan, grid) / (grid[0] * grid[1]) for plan in windows]
    assert result.network_share == pytest.approx(np.mean(shares)) and result.network_share < 0.9
    windowed = sum(plan is not None for plan in windows)
    assert f"around the people on {windowed} of 14 frames" in video_summary(result)
    assert all(isinstance(w, Window) for plan in windows if plan for w in plan)
    box = resolve_box(None)

    def people_of(n, image, plan):
        if plan is None:
            return estimate(image, model=model).people
        return decode_output(infer_windows(model.run, image, box, plan), 0.1)

    # Two workers: each decision comes from the people three frames back.
    expected = serial_plan(decoded(still_clip), box, people_of, DEFAULT_POLICY, lag=3)
    assert list(windows) == [plan for plan, _ in expected]
    for frame, (_, people) in zip(result.frames, expected, strict=True):
        same_people(frame.people, people, 0.05)  # one- and two-thread runners differ by ulps


def test_windows_find_the_people_full_frames_find(tmp_path, still_clip, model):
    images = decoded(still_clip)
    with_regions = process_video(still_clip, tmp_path / "a.mp4", model=model)
    without = process_video(still_clip, tmp_path / "b.mp4", model=model, regions=None)
    assert without.windows == ()
    cell = FRAME[0] / grid_of(*FRAME, resolve_box(None))[0]
    for image, a, b in zip(images, with_regions.frames, without.frames, strict=True):
        assert b.people, "the skier is found on the full frame"
        same_people(a.people, b.people, cell / 2)
        assert a.people[0].num_visible >= 12
        assert image.shape == (480, 640, 3)


def test_webcam_runs_windows_after_the_first_frame_and_finds_the_same_person(model):
    frame = small_person_frame()
    session = WebcamSession()
    full = estimate(frame, size="balanced", model=model).people
    cell = FRAME[0] / grid_of(*FRAME, resolve_box("balanced"))[0]
    chosen = []
    for _ in range(4):
        live = session.process(frame[:, ::-1], mirrored=True, smooth=False, model=model)
        chosen.append(session.regions.last)
        same_people(live.estimate.people, full, cell / 2)
    assert chosen[0] is None and all(plan is not None for plan in chosen[1:])
    assert plan_cells(chosen[1], (54, 40)) < 0.7 * 54 * 40
    off = WebcamSession(regions=None)
    live = off.process(frame, mirrored=False, smooth=False, model=model)
    assert len(live.estimate.people) == len(full)
