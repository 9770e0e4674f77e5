"""Issue 20 with the real model: live frames of any form through a webcam session, and
videos that grow or lose frames midway through process_video."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

import pose.media.video_reader
from pose.media.images import InputError
from pose.video.live import WebcamSession
from pose.video.process import process_video
from tests.helpers.hostile import claiming, jpeg, mjpeg_clip


@pytest.mark.parametrize("form", ["grey-array", "rgba-array", "grey-png", "jpeg"])
def test_a_session_takes_live_frames_in_any_form(model, form):
    """Issue 20, item 1: a grey frame failed with an IndexError inside pose.video.live."""
    grey = np.full((48, 64), 120, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "PNG")
    frame = {
        "grey-array": grey,
        "rgba-array": np.dstack([grey, grey, grey, grey]),
        "grey-png": buffer.getvalue(),
        "jpeg": jpeg(48, 64),
    }[form]
    live = WebcamSession().process(frame, model=model, size="fast")
    assert live.display.shape == (48, 64, 3) and live.frame_number == 1


def test_a_session_refuses_a_huge_frame_before_the_model_runs(model):
    session = WebcamSession()
    with pytest.raises(InputError, match="12000x12000"):
        session.process(claiming(jpeg(), 12000, 12000), model=model)
    assert session.frames == 0


def test_a_video_growing_past_the_limit_stops_cleanly(tmp_path, model, monkeypatch):
    monkeypatch.setattr(pose.media.video_reader, "MAX_SIDE", 100)
    path = mjpeg_clip(tmp_path / "grows.avi", [(64, 48)] * 12 + [(160, 40)] * 2)
    output = tmp_path / "out.mp4"
    with pytest.raises(InputError, match=r"frame 13 is 160x40 pixels"):
        process_video(path, output, model=model, size="fast")
    assert not output.exists()


def test_a_video_reports_its_lost_frames(tmp_path, model):
    path = mjpeg_clip(tmp_path / "clip.avi", [(64, 48)] * 30)
    data = bytearray(path.read_bytes())
    start, end = len(data) * 4 // 10, len(data) * 6 // 10
    data[start:end] = bytes(end - start)
    path.write_bytes(bytes(data))
    result = process_video(path, tmp_path / "out.mp4", model=model, size="fast")
    assert result.lost_frames > 0
    assert len(result.frames) + result.lost_frames == 30
    assert json.loads(result.to_json())["output"]["lost_frames"] == result.lost_frames
