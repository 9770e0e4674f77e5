"""Matching through the real CLI and the launched app (real model, real photos)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import COCO_DIR, ROOT
from gradio_client import handle_file
from PIL import Image

PHOTO_A = COCO_DIR / "000000000785.jpg"  # one skier, whole body
PHOTO_B = COCO_DIR / "000000197388.jpg"


@pytest.fixture(scope="module")
def empty_photo(tmp_path_factory) -> Path:
    """A colour gradient: an image with no person in it."""
    y, x = np.mgrid[0:240, 0:320]
    pixels = np.stack([x * 255 // 320, y * 255 // 240, np.full_like(x, 128)], axis=-1)
    path = tmp_path_factory.mktemp("match") / "empty.png"
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pose", "match", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.model
def test_cli_json_same_photo_is_100_and_other_photo_less(tmp_path):
    overlay = tmp_path / "overlay.png"
    same = run_cli(str(PHOTO_A), str(PHOTO_A), "--json", "--overlay", str(overlay))
    assert same.returncode == 0, same.stderr
    payload = json.loads(same.stdout)
    assert payload["similarity"] == pytest.approx(100.0)
    assert payload["method"] == "normalized"
    assert len(payload["joints"]) >= 10 and "neck" in payload["joints"]
    assert overlay.stat().st_size > 1000
    other = run_cli(str(PHOTO_A), str(PHOTO_B), "--json", "--method", "oks", "--mirror")
    assert other.returncode == 0, other.stderr
    payload = json.loads(other.stdout)
    assert payload["method"] == "oks"
    assert 0.0 <= payload["similarity"] < 95.0
    assert isinstance(payload["mirrored"], bool)
    scores = [item["score"] for item in payload["breakdown"]]
    assert scores == sorted(scores)


@pytest.mark.model
def test_cli_no_person_exits_2_with_one_error_line(empty_photo):
    result = run_cli(str(PHOTO_A), str(empty_photo))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    assert lines == [
        "error: No person found in image 2 (empty.png). Use a photo where a person's body "
        "is clearly visible, or lower the confidence threshold."
    ]


@pytest.mark.model
def test_cli_rejects_unknown_method():
    result = run_cli(str(PHOTO_A), str(PHOTO_A), "--method", "euclid")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.app
def test_match_images_endpoint(client):
    photo = handle_file(str(PHOTO_A))
    annotated1, annotated2, score, table, overlay, result = client.predict(
        photo, photo, "normalized", False, 1, 1, api_name="/match_images"
    )
    assert Path(annotated1).is_file() and Path(annotated2).is_file()
    assert Path(overlay).is_file()
    assert result["similarity"] == pytest.approx(100.0)
    assert result["verdict"] == "Same pose"
    assert "100.0 %" in score and "Same pose" in score
    assert table["headers"] == ["joint", "difference", "unit", "score %"]
    assert len(table["data"]) == len(result["joints"]) >= 10


@pytest.mark.app
def test_match_images_other_method_and_person_choice(client):
    *_, table, _, result = client.predict(
        handle_file(str(PHOTO_A)),
        handle_file(str(PHOTO_B)),
        "angles",
        True,
        1,
        1,
        api_name="/match_images",
    )
    assert result["method"] == "angles"
    assert result["unit"] == "degrees"
    assert 0.0 <= result["similarity"] < 100.0
    assert {row[0] for row in table["data"]} <= {
        "r_elbow", "l_elbow", "r_shoulder", "l_shoulder", "r_hip", "l_hip", "r_knee", "l_knee",
    }  # fmt: skip
    with pytest.raises(Exception, match="person number must be 1 to"):
        client.predict(
            handle_file(str(PHOTO_A)),
            handle_file(str(PHOTO_B)),
            "normalized",
            False,
            1,
            9,
            api_name="/match_images",
        )


@pytest.mark.app
def test_match_images_no_person_is_a_clear_error(client, empty_photo):
    with pytest.raises(Exception, match="No person found in image 2"):
        client.predict(
            handle_file(str(PHOTO_A)),
            handle_file(str(empty_photo)),
            "normalized",
            False,
            1,
            1,
            api_name="/match_images",
        )


@pytest.mark.model
def test_live_matching_in_the_webcam_stream(monkeypatch):
    from ui.webcam import stream_webcam

    # Live frames run on the same model as the reference here (otherwise on int8 once it is
    # loaded): the same photo must then score 100 %.
    monkeypatch.setenv("POSE_BACKEND", "tflite")
    from pose.estimate import estimate
    from pose.match import pick_person, rank_by_size
    from pose.media import load_image
    from pose.skeleton import Joint
    from pose.types import Pose

    photo = load_image(PHOTO_A)
    reference = pick_person(rank_by_size(estimate(photo).people))
    # The browser sends the mirrored preview; the stream un-mirrors it before matching.
    frame = np.ascontiguousarray(photo[:, ::-1])
    plain, status, session, score = stream_webcam(frame, None, False, "balanced", 0.1)
    assert score == "" and "1 person" in status
    _, _, _, score = stream_webcam(frame, session, False, "balanced", 0.1, reference, True)
    assert score.startswith("# 100 %") and "Same pose" in score
    # Move the reference's wrists: they are named, and ringed on the live frame.
    keypoints = reference.keypoints.copy()
    keypoints[[Joint.R_WRIST, Joint.L_WRIST], 1] -= 0.5 * (
        keypoints[Joint.R_ANKLE, 1] - keypoints[Joint.NOSE, 1]
    )
    raised = Pose(keypoints)
    ringed, _, _, score = stream_webcam(frame, session, False, "balanced", 0.1, raised, False)
    assert "differs most at" in score and "wrist" in score
    assert not score.startswith("# 100 %")
    assert ringed.shape == plain.shape and not np.array_equal(ringed, plain)


@pytest.mark.app
def test_webcam_reference_endpoint(client, empty_photo):
    info = client.predict(handle_file(str(PHOTO_A)), api_name="/set_webcam_reference")
    assert info.startswith("Reference pose:") and "of 18 joints found" in info
    info = client.predict(handle_file(str(empty_photo)), api_name="/set_webcam_reference")
    assert info.startswith("No reference: No person found in the reference photo")


def write_y4m(path: Path, frame: np.ndarray, count: int = 10, fps: int = 10) -> Path:
    """RGB uint8 (H, W, 3) repeated as a YUV4MPEG2 4:2:0 clip: Chromium's fake camera."""
    import cv2

    height, width = frame.shape[:2]
    with path.open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(count):
            handle.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@pytest.mark.browser
def test_live_match_in_the_browser(app_url, tmp_path):
    """A fake camera shows the skier; with the same photo as reference, the Webcam tab
    shows a live similarity that says "Same pose"."""
    import re
    import time

    from browser import launch_chromium, open_app, open_tab, upload
    from playwright.sync_api import sync_playwright

    from pose.media import load_image

    photo = load_image(PHOTO_A)  # 640x425: letterbox to a webcam's 640x480
    frame = np.full((480, 640, 3), 114, np.uint8)
    frame[27 : 27 + photo.shape[0]] = photo
    camera = write_y4m(tmp_path / "camera.y4m", frame)
    fake = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, extra_args=fake)
        try:
            page = open_app(browser, app_url)
            panel = open_tab(page, "Webcam")
            panel.get_by_text("Match a reference pose").click()
            upload(page, "webcam-reference", PHOTO_A)
            info = page.locator("#webcam-reference-info")
            info.get_by_text("Reference pose:").wait_for(timeout=90_000)
            webcam = page.locator("#webcam-input")
            webcam.get_by_text("Click to Access Webcam").click()
            webcam.get_by_role("button", name="capture photo").click()
            score = page.locator("#webcam-match")
            deadline = time.monotonic() + 90
            text = ""
            while time.monotonic() < deadline:
                text = score.inner_text()
                if re.search(r"\d+ %", text):
                    break
                page.wait_for_timeout(250)
            found = re.search(r"(\d+) %", text)
            assert found, f"no live similarity shown: {text!r}"
            assert int(found.group(1)) >= 85 and "Same pose" in text, text
        finally:
            browser.close()
