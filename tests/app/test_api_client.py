"""examples/api_client.py, run as a user runs it, against the launched app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gradio_client import handle_file

from tests.helpers.paths import ROOT

EXAMPLES = ROOT / "examples"
# Endpoints the committed app serves; each must be called, not skipped.
REQUIRED = [
    "/estimate_image",
    "/estimate_video",
    "/estimate_frame",
    "/match_images",
    "/compare_videos",
    "/count_reps",
]


@pytest.fixture(scope="module")
def report(app_url) -> dict:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "api_client.py"), app_url, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_served_endpoint_is_called(report, client):
    served = set(client.view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert set(REQUIRED) <= served
    for name in served:
        assert name in report, f"api_client.py does not cover {name}"
        if name != "/stream_webcam":  # a stream: gradio_client cannot call it
            assert "skipped" not in report[name], f"{name}: {report[name]}"


def test_estimate_image_result(report):
    result = report["/estimate_image"]
    assert result["people"] == 1
    assert result["size"] == [512, 512]
    x, y, score = result["first_person_nose"]  # the astronaut's nose, near the centre top
    assert 150 < x < 350 and 50 < y < 250 and score > 0.3
    assert result["table_rows"] >= 6
    assert Path(result["files"]["csv"]).read_text().startswith("person,joint,x,y,confidence")


def test_estimate_video_result(report):
    result = report["/estimate_video"]
    assert result["frames"] == 20  # the example clip: 2 s at 10 fps
    assert Path(result["files"]["video"]).stat().st_size > 1000


def test_match_result_and_example_pairs(report, client):
    moved = report["/match_images"]["similarity"]
    assert 0 <= moved <= 100
    *_, different = client.predict(
        handle_file(str(EXAMPLES / "astronaut.jpg")),
        handle_file(str(EXAMPLES / "cameraman.jpg")),
        "normalized",
        False,
        1,
        1,
        api_name="/match_images",
    )
    # The examples promise: the moved copy matches better than a different person's pose.
    assert moved > different["similarity"] + 10


def test_unreachable_app_is_one_line_error():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "api_client.py"), "http://127.0.0.1:9/"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1


def test_compare_videos_result(report):
    result = report["/compare_videos"]
    assert result["similarity"] > 95  # the clip against itself
    assert result["pairs"] >= 1 and Path(result["files"]["video"]).suffix == ".mp4"


def test_count_reps_result(report):
    assert report["/count_reps"]["count"] == 1  # the clip holds itself once
