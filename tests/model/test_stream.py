"""Live webcam sessions on the real model: mirroring, smoothing switch, meters, int8."""

from __future__ import annotations

import numpy as np
import pytest

import pose.network.registry
from pose.body.skeleton import Joint
from pose.media.images import load_image
from pose.network.registry import MOTION_BACKEND, PoseModel, get_model, motion_model
from pose.output.draw import draw_ids, draw_poses
from pose.photo.estimate import estimate
from pose.video.live import DEFAULT_LIVE_SIZE, WebcamSession, mirror_x
from tests.helpers.paths import COCO_DIR

PHOTO = COCO_DIR / "000000000785.jpg"  # one skier, facing the camera


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
    # The display is the real frame's drawing, mirrored back to match the preview, with the
    # IDs written on it where the mirrored people stand (so the text is not mirrored).
    mirrored_people = [mirror_x(p, photo.shape[1]) for p in live.estimate.people]
    expected = draw_ids(draw_poses(photo, live.estimate.people)[:, ::-1], mirrored_people, live.ids)
    np.testing.assert_array_equal(live.display, expected)
    assert list(live.ids) == list(range(1, len(live.estimate.people) + 1))  # a new session
    assert "(ID 1" in live.status  # "1 person (ID 1)" or "3 people (IDs 1, 2, 3)"

    # Without un-mirroring, the model would swap the sides: this is what we avoid.
    # Its "right shoulder" lands on the mirror image of the true left one.
    naive = estimate(mirrored, size=DEFAULT_LIVE_SIZE, model=model).people[0]
    width = photo.shape[1]
    naive_x = naive[Joint.R_SHOULDER][0]
    assert abs(naive_x - (width - truth[Joint.L_SHOULDER][0])) < abs(
        naive_x - (width - truth[Joint.R_SHOULDER][0])
    )


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
    assert session.follower.smoother.num_tracks == 1
    assert np.std(np.diff(smooth_x)) < np.std(np.diff(raw_x))
    live = session.process(photo, mirrored=False, smooth=False, now=1.0, model=model)
    assert session.follower.smoother.num_tracks == 0 and "smoothing off" in live.status


def test_live_frames_and_videos_run_on_int8_once_it_is_built(monkeypatch):
    monkeypatch.delenv("POSE_BACKEND", raising=False)
    assert MOTION_BACKEND == "int8"
    started = []
    monkeypatch.setattr(pose.network.registry, "prepare_motion_model", lambda: started.append(True))
    monkeypatch.setattr(pose.network.registry, "int8_is_built", lambda graph_path=None: False)
    unloaded = PoseModel(backend="int8")
    monkeypatch.setattr(pose.network.registry, "_models", {"int8": unloaded, "tflite": get_model()})
    assert motion_model() is get_model()  # still building: the float32 default serves
    assert started  # ... and the build has begun in the background
    monkeypatch.undo()
    monkeypatch.delenv("POSE_BACKEND", raising=False)
    int8 = get_model("int8")
    assert pose.network.registry.int8_is_built()  # make setup built it
    assert motion_model() is int8  # built: used at once, loaded on the first frame
    live = WebcamSession().process(load_image(PHOTO), mirrored=False, smooth=False)
    assert int8.ready and live.estimate.people  # the skier, found by the int8 model
