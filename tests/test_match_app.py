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
