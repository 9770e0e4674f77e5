"""The video endpoint of the launched app, on a clip made from the eval photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.clips import probe

# ----------------------------------------------------------------------- app API


def test_estimate_video_endpoint(client, clip):
    from gradio_client import handle_file

    video, json_path, csv_path, summary = client.predict(
        handle_file(str(clip)),
        "fast",
        0.1,
        1,
        True,
        api_name="/estimate_video",
    )
    path = Path(video["video"] if isinstance(video, dict) else video)
    codec, pix_fmt, count, width, height, rate = probe(path)
    assert (codec, pix_fmt, count, width, height, rate) == ("h264", "yuv420p", 6, 320, 240, 10)
    payload = json.loads(Path(json_path).read_text())
    frames = payload["frames"]
    assert len(frames) == 6
    assert payload["joints"][:2] == ["nose", "neck"] and len(payload["joints"]) == 18
    assert payload["output"]["model"] == "int8"  # the video default, built by make setup
    # Tracking IDs and joint angles on every person found; the CSV has both columns.
    people = [person for frame in frames for person in frame["people"]]
    assert people and all(person["id"] >= 1 and "r_knee" in person["angles"] for person in people)
    header = Path(csv_path).read_text().splitlines()[0]
    assert header == "frame,time,person,joint,x,y,confidence,id,angle"
    assert Path(json_path).name == f"{clip.stem}-keypoints.json"  # named after the clip
    assert "Annotated 6 frames" in summary and "model" not in summary


def test_estimate_video_endpoint_bad_file(client, tmp_path):
    from gradio_client import handle_file

    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all" * 10)
    with pytest.raises(Exception, match="not a video we can read"):
        client.predict(handle_file(str(bogus)), "fast", 0.1, 1, False, api_name="/estimate_video")
