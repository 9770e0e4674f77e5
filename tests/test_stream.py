"""Live webcam sessions: mirroring, smoothing switch, meters, in-memory frames."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import COCO_DIR

import pose.model
from pose.draw import draw_poses
from pose.estimate import estimate
from pose.media import load_image
from pose.model import MOTION_BACKEND, PoseModel, get_model, motion_model
from pose.skeleton import MIRROR, Joint
from pose.stream import DEFAULT_LIVE_SIZE, LiveFrame, WebcamSession, jpeg_data_url, match_live
from pose.types import Estimate, Pose

PHOTO = COCO_DIR / "000000000785.jpg"  # one skier, facing the camera


def test_jpeg_data_url_round_trips_in_memory():
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    image[:, :32] = (255, 0, 0)  # red left half: checks RGB order survives
    url = jpeg_data_url(image)
    assert url.startswith("data:image/jpeg;base64,")
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), 1)
    assert decoded.shape == (48, 64, 3)
    assert decoded[24, 8, 2] > 200 and decoded[24, 8, 0] < 60  # BGR: red is channel 2


@pytest.mark.model
def test_meters_count_frames_rate_and_latency(model):
    session = WebcamSession()
    frame = np.full((120, 160, 3), 128, dtype=np.uint8)
    for step in range(5):
        live = session.process(frame, now=100.0 + step * 0.125, model=model)
    assert live.frame_number == 5 and session.frames == 5
    assert live.fps == pytest.approx(8.0)
    assert live.latency_ms > 0
    assert "8.0 frames/s" in live.status and "frame 5" in live.status
    other = WebcamSession()  # a second browser session starts from zero
    assert other.process(frame, now=0.0, model=model).frame_number == 1


@pytest.mark.model
def test_mirrored_frames_keep_left_and_right(model):
    """The browser sends a mirrored selfie image; joints must still be the person's own."""
    photo = load_image(PHOTO)
    truth = estimate(photo, size=DEFAULT_LIVE_SIZE, model=model).people[0]
    mirrored = np.ascontiguousarray(photo[:, ::-1])

    live = WebcamSession().process(mirrored, mirrored=True, smooth=False, model=model)
    person = live.estimate.people[0]
    for joint in (Joint.R_SHOULDER, Joint.L_SHOULDER, Joint.R_HIP, Joint.L_HIP):
        assert person[joint][2] > 0
        np.testing.assert_allclose(person[joint][:2], truth[joint][:2], atol=2.0)
    # Facing the camera, the person's right shoulder is on the image's left.
    assert person[Joint.R_SHOULDER][0] < person[Joint.L_SHOULDER][0]
    # The display is the real frame's drawing, mirrored back to match the preview.
    expected = draw_poses(photo, live.estimate.people)[:, ::-1]
    np.testing.assert_array_equal(live.display, expected)

    # Without un-mirroring, the model would swap the sides: this is what we avoid.
    # Its "right shoulder" lands on the mirror image of the true left one.
    naive = estimate(mirrored, size=DEFAULT_LIVE_SIZE, model=model).people[0]
    width = photo.shape[1]
    naive_x = naive[Joint.R_SHOULDER][0]
    assert abs(naive_x - (width - truth[Joint.L_SHOULDER][0])) < abs(
        naive_x - (width - truth[Joint.R_SHOULDER][0])
    )


@pytest.mark.model
def test_smoothing_switch(model):
    photo = load_image(PHOTO)
    session = WebcamSession()
    rng = np.random.default_rng(0)
    raw_x, smooth_x = [], []
    for step in range(8):
        shift = int(rng.integers(-3, 4))  # a hand-held camera: small random shifts
        frame = np.ascontiguousarray(np.roll(photo, shift, axis=1))
        live = session.process(frame, mirrored=False, smooth=True, now=step * 0.1, model=model)
        raw = estimate(frame, size="fast", model=model).people[0]
        raw_x.append(raw[Joint.NECK][0])
        smooth_x.append(live.estimate.people[0][Joint.NECK][0])
    assert session.smoother.num_tracks == 1
    assert np.std(np.diff(smooth_x)) < np.std(np.diff(raw_x))
    live = session.process(photo, mirrored=False, smooth=False, now=1.0, model=model)
    assert session.smoother.num_tracks == 0 and "smoothing off" in live.status


def test_live_output_is_an_in_memory_data_url():
    """The webcam tab's output never saves frames into Gradio's cache folder."""
    from ui.components import live_image_output

    component = live_image_output()
    payload = component.postprocess(np.zeros((8, 8, 3), dtype=np.uint8))
    assert payload.path is None and payload.url.startswith("data:image/jpeg;base64,")
    assert component.postprocess(None) is None


@pytest.mark.app
def test_estimate_frame_endpoint(client):
    """The plain per-frame endpoint that programs use instead of the stream."""
    from gradio_client import handle_file

    annotated, keypoints = client.predict(
        handle_file(str(PHOTO)), "fast", 0.1, api_name="/estimate_frame"
    )
    assert Path(annotated).is_file()
    assert (keypoints["width"], keypoints["height"]) == (640, 425)
    assert len(keypoints["people"]) == 1 and len(keypoints["people"][0]["keypoints"]) == 18
    with pytest.raises(Exception, match="not an image we can read"):
        client.predict(
            handle_file(str(COCO_DIR / "test_coco.json")), "fast", 0.1, api_name="/estimate_frame"
        )


@pytest.mark.model
def test_live_frames_and_videos_run_on_int8_once_it_is_built(monkeypatch):
    monkeypatch.delenv("POSE_BACKEND", raising=False)
    assert MOTION_BACKEND == "int8"
    started = []
    monkeypatch.setattr(pose.model, "prepare_motion_model", lambda: started.append(True))
    monkeypatch.setattr(pose.model, "int8_is_built", lambda graph_path=None: False)
    unloaded = PoseModel(backend="int8")
    monkeypatch.setattr(pose.model, "_models", {"int8": unloaded, "tflite": get_model()})
    assert motion_model() is get_model()  # still building: the float32 default serves
    assert started  # ... and the build has begun in the background
    monkeypatch.undo()
    monkeypatch.delenv("POSE_BACKEND", raising=False)
    int8 = get_model("int8")
    assert pose.model.int8_is_built()  # make setup built it
    assert motion_model() is int8  # built: used at once, loaded on the first frame
    live = WebcamSession().process(load_image(PHOTO), mirrored=False, smooth=False)
    assert int8.ready and live.estimate.people  # the skier, found by the int8 model


def test_an_explicit_backend_wins_over_the_motion_default(monkeypatch):
    monkeypatch.setenv("POSE_BACKEND", "session")
    assert pose.model.motion_backend() == "session"
    assert motion_model().backend == "session"
    monkeypatch.delenv("POSE_BACKEND")
    assert pose.model.motion_backend() == "int8"


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
