"""The per-frame webcam endpoint of the launched app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.paths import COCO_DIR

PHOTO = COCO_DIR / "000000000785.jpg"  # one skier, facing the camera


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
