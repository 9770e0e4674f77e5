"""3D pose through the launched app's API (gradio_client), as programmers call it."""

import json
from pathlib import Path

import numpy as np
from gradio_client import handle_file

from tests.helpers.paths import EVAL_DIR, ROOT

EXAMPLES = ROOT / "examples"
WALKING = EVAL_DIR / "3d" / "h36m" / "S8_WalkDog_1.55011271_000026.jpg"


def test_estimate_image_with_3d_adds_landmarks_to_the_json(client):
    annotated, _, json_path, _, summary = client.predict(
        handle_file(str(WALKING)), "balanced", 0.1, False, True, api_name="/estimate_image"
    )
    person = json.loads(Path(json_path).read_text())["people"][0]
    landmarks = np.asarray(person["landmarks3d"])
    assert landmarks.shape == (33, 4)
    assert np.asarray(person["joints3d"]).shape == (18, 4)
    # Metres: a walking man's ankles are 1.2-2 m below his nose (y points down).
    assert 1.2 < landmarks[27:29, 1].mean() - landmarks[0, 1] < 2.0
    assert "3D for 1 of 1" in summary and Path(annotated).is_file()
    # Without the flag (the default), the same call as before: no 3D in the file.
    *_, plain_json, _, plain_summary = client.predict(
        handle_file(str(WALKING)), "balanced", 0.1, api_name="/estimate_image"
    )
    assert "landmarks3d" not in json.loads(Path(plain_json).read_text())["people"][0]
    assert "3D" not in plain_summary


def test_match_images_3d_method(client):
    def similarity(first: Path, second: Path) -> dict:
        *_, result = client.predict(
            handle_file(str(first)), handle_file(str(second)), "3d", False, 1, 1,
            api_name="/match_images",
        )  # fmt: skip
        return result

    moved = similarity(EXAMPLES / "astronaut.jpg", EXAMPLES / "astronaut_moved.jpg")
    other = similarity(EXAMPLES / "astronaut.jpg", EXAMPLES / "cameraman.jpg")
    assert moved["method"] == "3d" and moved["unit"] == "body size"
    assert len(moved["breakdown"]) >= 8 and moved["verdict"]
    assert moved["similarity"] > other["similarity"] + 5
    same = similarity(WALKING, WALKING)
    assert same["similarity"] > 99.9 and same["verdict"] == "Same pose"


def test_estimate_video_with_3d_per_frame(client):
    video, json_path, *_ = client.predict(
        handle_file(str(EXAMPLES / "astronaut_pan.mp4")),
        "fast", 0.1, 2, True, True, api_name="/estimate_video",
    )  # fmt: skip
    frames = json.loads(Path(json_path).read_text())["frames"]
    people = [person for frame in frames for person in frame["people"]]
    assert people and all("landmarks3d" in person for person in people)
    assert any(person["landmarks3d"] for person in people)
    assert Path(video["video"] if isinstance(video, dict) else video).is_file()
