"""The accuracy benchmark's conversion and scoring, on the real annotation file."""

import json

import numpy as np
import pytest

from benchmarks.accuracy import evaluate, to_coco_keypoints, to_detections
from pose.body.skeleton import OPENPOSE_FOR_COCO
from pose.body.types import Pose
from tests.helpers.paths import COCO_DIR

ANNOTATIONS = COCO_DIR / "test_coco.json"


def pose_from_coco(keypoints: list[float]) -> Pose:
    """The inverse mapping, for tests: COCO-17 (x, y, v) -> OpenPose-18 with no neck."""
    coco = np.asarray(keypoints, dtype=np.float32).reshape(17, 3)
    out = np.zeros((18, 3), np.float32)
    out[OPENPOSE_FOR_COCO, :2] = coco[:, :2]
    out[OPENPOSE_FOR_COCO, 2] = (coco[:, 2] > 0) * 0.9
    return Pose(keypoints=out, score=0.9)


def test_keypoints_convert_to_coco_order_with_missing_as_zeros():
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[5] = (10, 20, 0.8)  # l_shoulder -> COCO index 5
    keypoints[14] = (30, 40, 0.5)  # r_eye -> COCO index 2
    keypoints[1] = (50, 60, 0.9)  # neck: no COCO counterpart
    flat = to_coco_keypoints(Pose(keypoints=keypoints))
    assert len(flat) == 51
    rows = np.array(flat).reshape(17, 3)
    assert rows[5].tolist() == [10, 20, 1] and rows[2].tolist() == [30, 40, 1]
    assert rows[[0, 1, 3, 4, *range(6, 17)]].sum() == 0


def test_ground_truth_as_detections_scores_perfectly():
    data = json.loads(ANNOTATIONS.read_text())
    detections = []
    for annotation in data["annotations"]:
        if annotation["num_keypoints"] > 0:
            pose = pose_from_coco(annotation["keypoints"])
            detections += to_detections(annotation["image_id"], [pose])
    figures = evaluate(ANNOTATIONS, detections)
    assert figures["AP"] == pytest.approx(1.0) and figures["AR"] == pytest.approx(1.0)


def test_shifted_detections_score_lower_and_nothing_scores_zero():
    data = json.loads(ANNOTATIONS.read_text())
    detections = []
    for annotation in data["annotations"]:
        if annotation["num_keypoints"] > 0:
            pose = pose_from_coco(annotation["keypoints"])
            shifted = pose.keypoints.copy()
            shifted[:, 0] += 15
            detections += to_detections(annotation["image_id"], [Pose(keypoints=shifted)])
    assert evaluate(ANNOTATIONS, detections)["AP"] < 0.9
    assert evaluate(ANNOTATIONS, [])["AP"] == 0.0
