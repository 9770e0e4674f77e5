"""The Webcam tab in headless Chromium with a fake camera fed from real frames.

Chromium's fake capture device plays a .y4m file made here from an eval photo. The test
starts the stream as a person would and checks, from what reaches the page, that the server
handles frame after frame (the status line carries its frame counter), that the frames come
back as in-memory JPEG data (never files), and that left and right are right: the person's
own right shoulder is drawn in the right-side colour, at the mirrored place the selfie
preview shows.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from pose.body.skeleton import JOINT_COLORS, MIRROR, Joint
from pose.media.images import load_image
from pose.photo.estimate import estimate
from tests.helpers.browser import (
    fake_camera_args,
    launch_chromium,
    open_app,
    open_tab,
    start_webcam_stream,
    write_y4m,
)
from tests.helpers.paths import COCO_DIR

PHOTO = COCO_DIR / "000000000785.jpg"  # one skier facing the camera, 640x425
CAMERA_SIZE = (640, 480)
STATUS = re.compile(
    r"([\d.]+) frames/s · (\d+) ms per frame · (\d+) (?:person|people)(?: \(IDs? [\d, ]+\))?"
    r" · frame (\d+)"
)


def camera_frame() -> np.ndarray:
    """The eval photo letterboxed to 640x480 (a webcam's size), RGB uint8."""
    photo = load_image(PHOTO)
    canvas = np.full((CAMERA_SIZE[1], CAMERA_SIZE[0], 3), 114, dtype=np.uint8)
    top = (CAMERA_SIZE[1] - photo.shape[0]) // 2
    canvas[top : top + photo.shape[0], : photo.shape[1]] = photo
    return canvas


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory) -> Path:
    return write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", [camera_frame()] * 10)


@pytest.fixture(scope="module")
def camera_page(fake_camera, app_url):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, extra_args=fake_camera_args(fake_camera))
        page = open_app(browser, app_url)
        yield page
        browser.close()


def read_status(page) -> tuple[float, int, int, int] | None:
    """(frames/s, ms per frame, people, server frame number) from the status line."""
    text = page.locator("#webcam-status textarea, #webcam-status input").first.input_value()
    found = STATUS.search(text)
    if not found:
        return None
    rate, latency, people, frame = found.groups()
    return float(rate), int(latency), int(people), int(frame)


def decode_data_url(url: str) -> np.ndarray:
    """``data:image/jpeg;base64,...`` -> RGB uint8 array."""
    raw = base64.b64decode(url.split(",", 1)[1])
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR), 4)


def nearest_colour(pixel: np.ndarray, joint: Joint) -> Joint:
    """Which of ``joint`` and its left/right partner has the colour closest to ``pixel``."""
    partner = MIRROR[joint]
    distance = {
        candidate: float(np.abs(pixel - np.array(JOINT_COLORS[candidate])).sum())
        for candidate in (joint, partner)
    }
    return min(distance, key=distance.get)


def test_webcam_stream_returns_annotated_frames(camera_page):
    page = camera_page
    open_tab(page, "Webcam")
    start_webcam_stream(page)

    deadline = time.monotonic() + 90
    status = None
    while time.monotonic() < deadline:
        status = read_status(page)
        if status and status[3] >= 5:
            break
        page.wait_for_timeout(250)
    assert status and status[3] >= 5, f"the server handled too few frames: {status}"
    first_frame, first_time = status[3], time.monotonic()
    page.wait_for_timeout(5000)
    rate, latency, people, frame = read_status(page)
    measured = (frame - first_frame) / (time.monotonic() - first_time)
    print(f"webcam: {measured:.1f} frames/s reached the server (status says {rate}, {latency} ms)")
    assert frame > first_frame + 5, "frames stopped coming back"
    assert people == 1

    output = page.locator("#webcam-output img").first
    expect(output).to_be_visible()
    src = output.get_attribute("src")
    assert src.startswith("data:image/jpeg;base64,"), "frames must not be served as files"
    shown = decode_data_url(src)
    assert shown.shape[:2] == (CAMERA_SIZE[1], CAMERA_SIZE[0])

    # Oriented like the mirrored selfie preview: closer to the flipped camera frame.
    source = camera_frame()
    small = [cv2.resize(a, (80, 60)).astype(np.float32) for a in (shown, source, source[:, ::-1])]
    assert np.abs(small[0] - small[2]).mean() < 0.5 * np.abs(small[0] - small[1]).mean()

    # Left and right: each joint is drawn in its own side's colour at its mirrored place.
    truth = estimate(source, size="fast").people[0]
    width = CAMERA_SIZE[0]
    checked = 0
    for joint in (Joint.R_SHOULDER, Joint.L_SHOULDER, Joint.R_HIP, Joint.L_HIP):
        x, y, score = truth[joint]
        if score < 0.3:
            continue
        column, row = round(float(width - 1 - x)), round(float(y))
        pixel = shown[row - 1 : row + 2, column - 1 : column + 2].reshape(-1, 3).mean(axis=0)
        assert nearest_colour(pixel, joint) == joint, f"{joint.label} drawn in the wrong colour"
        checked += 1
    assert checked >= 3
