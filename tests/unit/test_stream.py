"""Live webcam output helpers: in-memory JPEG data URLs, the backend choice."""

from __future__ import annotations

import base64

import cv2
import numpy as np

import pose.model
from pose.model import motion_model
from pose.stream import jpeg_data_url


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
    import app

    component = app.live_image_output()
    payload = component.postprocess(np.zeros((8, 8, 3), dtype=np.uint8))
    assert payload.path is None and payload.url.startswith("data:image/jpeg;base64,")
    assert component.postprocess(None) is None


def test_an_explicit_backend_wins_over_the_motion_default(monkeypatch):
    monkeypatch.setenv("POSE_BACKEND", "session")
    assert pose.model.motion_backend() == "session"
    assert motion_model().backend == "session"
    monkeypatch.delenv("POSE_BACKEND")
    assert pose.model.motion_backend() == "int8"
