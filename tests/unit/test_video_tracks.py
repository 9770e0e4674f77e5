"""IDs and angles in a video's keypoints JSON, read back (no model)."""

import json

import numpy as np

from pose.body.types import Pose
from pose.video.result import FrameKeypoints, angle_series, tracked_people


def standing(x: float) -> Pose:
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[2:5] = [(x, 100, 0.9), (x, 150, 0.9), (x + 40, 150, 0.9)]  # r_elbow bent 90
    return Pose(keypoints)


def payload(frames: list[FrameKeypoints]) -> dict:
    return json.loads(json.dumps({"frames": [frame.to_dict() for frame in frames]}))


def test_frame_json_has_ids_first_and_angles():
    frame = FrameKeypoints(4, 0.16, (standing(10), standing(200)), (3, 1))
    people = frame.to_dict()["people"]
    assert [person["id"] for person in people] == [3, 1]
    assert list(people[0]) == ["id", "score", "keypoints", "angles"]
    assert people[0]["angles"]["r_elbow"] == 90.0
    untracked = FrameKeypoints(0, 0.0, (standing(10),)).to_dict()["people"][0]
    assert untracked["id"] is None


def test_people_most_seen_first_and_their_angles_in_order():
    frames = [
        FrameKeypoints(0, 0.0, (standing(10), standing(200)), (1, 2)),
        FrameKeypoints(2, 0.08, (standing(205),), (2,)),
        FrameKeypoints(4, 0.16, (standing(210), standing(400)), (2, 5)),
    ]
    data = payload(frames)
    assert tracked_people(data) == [(2, 3), (1, 1), (5, 1)]
    series = angle_series(data, 2)
    assert [(index, time) for index, time, _ in series] == [(0, 0.0), (2, 0.08), (4, 0.16)]
    assert all(angles["r_elbow"] == 90.0 and angles["l_knee"] is None for *_, angles in series)
    assert angle_series(data, 7) == []
    assert tracked_people({"frames": []}) == []
