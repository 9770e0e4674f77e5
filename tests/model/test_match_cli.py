"""Matching through the real CLI and live matching in a webcam session (real model, real photos)."""

import json

import numpy as np
import pytest

from tests.helpers.cli import error_lines, run_cli
from tests.helpers.paths import COCO_DIR

PHOTO_A = COCO_DIR / "000000000785.jpg"  # one skier, whole body
PHOTO_B = COCO_DIR / "000000197388.jpg"


def test_cli_json_same_photo_is_100_and_other_photo_less(tmp_path):
    overlay = tmp_path / "overlay.png"
    same = run_cli("match", str(PHOTO_A), str(PHOTO_A), "--json", "--overlay", str(overlay))
    assert same.returncode == 0, same.stderr
    payload = json.loads(same.stdout)
    assert payload["similarity"] == pytest.approx(100.0)
    assert payload["method"] == "normalized"
    assert len(payload["joints"]) >= 10 and "neck" in payload["joints"]
    assert overlay.stat().st_size > 1000
    other = run_cli("match", str(PHOTO_A), str(PHOTO_B), "--json", "--method", "oks", "--mirror")
    assert other.returncode == 0, other.stderr
    payload = json.loads(other.stdout)
    assert payload["method"] == "oks"
    assert 0.0 <= payload["similarity"] < 95.0
    assert isinstance(payload["mirrored"], bool)
    scores = [item["score"] for item in payload["breakdown"]]
    assert scores == sorted(scores)


def test_cli_no_person_exits_2_with_one_error_line(empty_photo):
    result = run_cli("match", str(PHOTO_A), str(empty_photo))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = error_lines(result.stderr)
    assert lines == [
        "error: No person found in image 2 (empty.png). Use a photo where a person's body "
        "is clearly visible, or lower the confidence threshold."
    ]


def test_cli_rejects_unknown_method():
    result = run_cli("match", str(PHOTO_A), str(PHOTO_A), "--method", "euclid")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_live_matching_in_the_webcam_stream(monkeypatch):
    from ui.webcam import stream_webcam

    # Live frames run on the same model as the reference here (otherwise on int8 once it is
    # loaded): the same photo must then score 100 %.
    monkeypatch.setenv("POSE_BACKEND", "tflite")
    from pose.body.skeleton import Joint
    from pose.body.types import Pose
    from pose.match import pick_person, rank_by_size
    from pose.media.images import load_image
    from pose.photo.estimate import estimate

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


def test_the_default_pair_is_the_tabs_and_minus_one_searches_for_the_best_pair():
    skier, crowd = str(COCO_DIR / "000000000785.jpg"), str(COCO_DIR / "000000197388.jpg")
    best = json.loads(run_cli("match", skier, crowd, "--person2", "-1", "--json").stdout)
    assert best["pairing"] == "best match" and best["person1"] == 1
    assert 1 <= best["person2"] <= 5
    default = json.loads(run_cli("match", skier, crowd, "--json").stdout)
    assert default["pairing"] == "same place" and default["person1"] == 1
    assert best["similarity"] >= default["similarity"]
