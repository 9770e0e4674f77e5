"""Live webcam output helpers: in-memory JPEG data URLs, the backend choice."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

import pose.network.registry
from pose.body.skeleton import MIRROR, Joint
from pose.body.types import Estimate, Pose
from pose.network.registry import motion_model
from pose.video.live import LiveFrame, jpeg_data_url, match_live


def test_jpeg_data_url_round_trips_in_memory():
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    image[:, :32] = (255, 0, 0)  # red left half: checks RGB order survives
    url = jpeg_data_url(image)
    assert url.startswith("data:image/jpeg;base64,")
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), 1)
    assert decoded.shape == (48, 64, 3)
    assert decoded[24, 8, 2] > 200 and decoded[24, 8, 0] < 60  # BGR: red is channel 2


def test_live_output_is_an_in_memory_data_url():
    """The webcam tab's output never saves frames into Gradio's cache folder."""
    from ui.components import live_image_output

    component = live_image_output()
    payload = component.postprocess(np.zeros((8, 8, 3), dtype=np.uint8))
    assert payload.path is None and payload.url.startswith("data:image/jpeg;base64,")
    assert component.postprocess(None) is None


def test_an_explicit_backend_wins_over_the_motion_default(monkeypatch):
    monkeypatch.setenv("POSE_BACKEND", "session")
    assert pose.network.registry.motion_backend() == "session"
    assert motion_model().backend == "session"
    monkeypatch.delenv("POSE_BACKEND")
    assert pose.network.registry.motion_backend() == "int8"


# A person standing in the left part of a 300x240 frame (real, un-mirrored pixels).
LIVE_PERSON = {
    Joint.NOSE: (100, 40), Joint.NECK: (100, 70), Joint.R_SHOULDER: (80, 72),
    Joint.R_ELBOW: (70, 45), Joint.R_WRIST: (66, 15), Joint.L_SHOULDER: (120, 72),
    Joint.L_ELBOW: (126, 105), Joint.L_WRIST: (130, 135), Joint.R_HIP: (88, 140),
    Joint.R_KNEE: (86, 185), Joint.R_ANKLE: (85, 230), Joint.L_HIP: (112, 140),
    Joint.L_KNEE: (116, 185), Joint.L_ANKLE: (118, 230),
}  # fmt: skip


def live_frame(people: list[Pose], mirrored: bool) -> LiveFrame:
    """A blank 300x240 live frame whose estimate holds ``people`` (real pixels)."""
    blank = np.zeros((240, 300, 3), dtype=np.uint8)
    estimate = Estimate(people=tuple(people), width=300, height=240)
    return LiveFrame(blank, estimate, 1, 10.0, 20.0, smoothed=False, mirrored=mirrored)


def person_with(points: dict, score: float = 0.8) -> Pose:
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (x, y) in points.items():
        keypoints[joint] = (x, y, score)
    return Pose(keypoints)


def white_near(image: np.ndarray, x: int, y: int, reach: int = 15) -> int:
    window = image[y - reach : y + reach, x - reach : x + reach]
    return int(np.all(window == 255, axis=-1).sum())


@pytest.mark.parametrize("mirrored", [True, False])
def test_live_match_rings_the_worst_joints_where_the_preview_shows_them(mirrored):
    person = person_with(LIVE_PERSON)
    # The reference's left wrist is raised; the live person's hangs down.
    reference = person_with({**LIVE_PERSON, Joint.L_WRIST: (135, 40)})
    live = live_frame([person], mirrored)
    found = match_live(live, reference, either_side=False)
    assert found.result is not None and found.problem == ""
    assert Joint.L_WRIST in found.worst and found.result.similarity < 100.0
    assert not live.display.any(), "match_live must not draw on the live frame"
    x, y = LIVE_PERSON[Joint.L_WRIST]
    shown_x = 300 - 1 - x if mirrored else x
    elsewhere_x = x if mirrored else 300 - 1 - x
    assert white_near(found.display, shown_x, y) > 0
    assert white_near(found.display, elsewhere_x, y) == 0


def test_live_match_names_the_mirrored_side_when_it_fits_better():
    person = person_with(LIVE_PERSON)
    # The reference is the person's mirror image with its right wrist raised: matched
    # mirrored, that is the live person's own left wrist.
    swapped = {MIRROR[joint]: (200 - x, y) for joint, (x, y) in LIVE_PERSON.items()}
    swapped[Joint.R_WRIST] = (200 - 135, 40)
    found = match_live(live_frame([person], False), person_with(swapped), either_side=True)
    assert found.result is not None and found.result.mirrored
    assert found.worst[0] == Joint.L_WRIST


def test_live_match_says_why_there_is_no_score():
    reference = person_with(LIVE_PERSON)
    nobody = match_live(live_frame([], True), reference)
    assert nobody.result is None and nobody.problem == "No person in view."
    assert not nobody.display.any()
    few = person_with({Joint.NOSE: (100, 40), Joint.NECK: (100, 70)})
    too_few = match_live(live_frame([few], True), reference)
    assert too_few.result is None and "joints" in too_few.problem
