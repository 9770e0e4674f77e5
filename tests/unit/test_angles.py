"""pose.body.angles on poses built in code (no model)."""

import json
import math

import numpy as np
import pytest

from pose.body.angles import ANGLE_NAMES, angle_array, joint_angles, pose_angles_json
from pose.body.skeleton import Joint
from pose.body.types import Pose

# Upright, facing the camera (x right, y down): right arm straight out to the side at
# shoulder height, left arm down with the elbow bent 90 degrees forward-in-image, legs
# straight, right knee bent 90 degrees.
POINTS = {
    Joint.NOSE: (100, 40),
    Joint.NECK: (100, 70),
    Joint.R_SHOULDER: (80, 70),
    Joint.R_ELBOW: (50, 70),
    Joint.R_WRIST: (20, 70),
    Joint.L_SHOULDER: (120, 70),
    Joint.L_ELBOW: (120, 110),
    Joint.L_WRIST: (150, 110),
    Joint.R_HIP: (80, 140),
    Joint.R_KNEE: (80, 190),
    Joint.R_ANKLE: (40, 190),
    Joint.L_HIP: (120, 140),
    Joint.L_KNEE: (120, 190),
    Joint.L_ANKLE: (120, 240),
}


def make_keypoints(points=POINTS, drop=()) -> np.ndarray:
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (x, y) in points.items():
        if joint not in drop:
            keypoints[joint] = (x, y, 0.9)
    return keypoints


def test_names_cover_both_sides_and_trunk():
    for joint in ("elbow", "shoulder", "hip", "knee"):
        assert f"r_{joint}" in ANGLE_NAMES and f"l_{joint}" in ANGLE_NAMES
    assert ANGLE_NAMES[-1] == "trunk_lean"
    assert len(ANGLE_NAMES) == 9


def test_known_angles():
    angles = joint_angles(Pose(make_keypoints()))
    expected = {
        "r_elbow": 180.0,  # straight arm
        "l_elbow": 90.0,
        "r_shoulder": 90.0,  # arm out to the side
        "l_shoulder": 0.0,  # upper arm along the trunk
        "r_hip": 180.0,
        "l_hip": 180.0,
        "r_knee": 90.0,
        "l_knee": 180.0,
        "trunk_lean": 0.0,
    }
    assert list(angles) == list(ANGLE_NAMES)
    for name, value in expected.items():
        assert angles[name] == pytest.approx(value, abs=1e-6), name


def test_trunk_lean_follows_the_trunk_either_side():
    for dx, lean in ((70, 45.0), (-70, 45.0), (0, 0.0)):
        points = dict(POINTS)
        points[Joint.NECK] = (100 + dx, 70)
        assert joint_angles(make_keypoints(points))["trunk_lean"] == pytest.approx(lean)
    lying = dict(POINTS)
    lying[Joint.NECK] = (30, 140)
    assert joint_angles(make_keypoints(lying))["trunk_lean"] == pytest.approx(90.0)


def test_angles_do_not_change_with_position_scale_or_mirror():
    keypoints = make_keypoints()
    moved = keypoints.copy()
    moved[:, :2] = moved[:, :2] * 2.5 + (300, -40)
    mirrored = keypoints.copy()
    mirrored[:, 0] = 500 - mirrored[:, 0]
    base = angle_array(keypoints)
    np.testing.assert_allclose(angle_array(moved), base, atol=1e-4)
    np.testing.assert_allclose(angle_array(mirrored), base, atol=1e-4)


def test_missing_joint_gives_nan_only_where_used():
    angles = joint_angles(make_keypoints(drop=(Joint.R_WRIST, Joint.NECK)))
    assert math.isnan(angles["r_elbow"])
    assert math.isnan(angles["trunk_lean"])
    assert angles["l_elbow"] == pytest.approx(90.0)
    assert angles["r_shoulder"] == pytest.approx(90.0)


def test_one_hip_is_enough_for_trunk_lean():
    angles = joint_angles(make_keypoints(drop=(Joint.L_HIP,)))
    assert angles["trunk_lean"] == pytest.approx(math.degrees(math.atan2(20, 70)))
    assert math.isnan(angles["l_hip"]) and math.isnan(angles["l_knee"])


def test_zero_length_limb_is_nan():
    points = dict(POINTS)
    points[Joint.R_WRIST] = points[Joint.R_ELBOW]
    assert math.isnan(joint_angles(make_keypoints(points))["r_elbow"])


def test_sequence_matches_single_frames():
    frames = np.stack([make_keypoints(), make_keypoints(drop=(Joint.L_KNEE,)), np.zeros((18, 3))])
    table = angle_array(frames)
    assert table.shape == (3, len(ANGLE_NAMES))
    for frame, row in zip(frames, table, strict=True):
        np.testing.assert_array_equal(np.isnan(row), np.isnan(angle_array(frame)))
        np.testing.assert_allclose(row, angle_array(frame), equal_nan=True)
    assert np.isnan(table[2]).all()  # nobody found


def test_json_rounds_and_uses_null():
    values = pose_angles_json(make_keypoints(drop=(Joint.R_ANKLE,)))
    assert values["r_knee"] is None
    assert values["l_elbow"] == 90.0
    assert json.loads(json.dumps(values)) == values


def test_bad_shape_raises():
    with pytest.raises(ValueError, match="18, 3"):
        angle_array(np.zeros((17, 3)))


def forearm_series(frames: int, lengths: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """(frames, 18, 3): POINTS with the right forearm ``lengths[t]`` pixels long (the upper
    arm is 30), turned ``turns[t]`` degrees from straight (180 degrees at the elbow)."""
    keypoints = np.repeat(make_keypoints()[None], frames, axis=0)
    elbow = np.array(POINTS[Joint.R_ELBOW], np.float64)
    for t in range(frames):
        angle = np.radians(turns[t])
        keypoints[t, Joint.R_WRIST, :2] = elbow + lengths[t] * np.array(
            [-np.cos(angle), np.sin(angle)]
        )
    return keypoints


def test_angles_over_time_leave_out_a_limb_pointing_at_the_camera():
    # The forearm swings through the line of sight: in the image it shortens to 2 px and
    # comes back on the other side; its image angle sweeps 150 degrees in three frames.
    from pose.body.angles import angle_series, foreshortened

    lengths = np.array([30, 28, 25, 20, 2, 20, 25, 28, 30], np.float64)
    turns = np.array([0, 0, 0, 0, 20, 150, 150, 150, 150], np.float64)
    keypoints = forearm_series(len(lengths), lengths, turns)
    column = ANGLE_NAMES.index("r_elbow")
    assert foreshortened(keypoints)[:, column].tolist() == [False] * 4 + [True] + [False] * 4
    series = angle_series(keypoints, np.arange(len(lengths)) / 50.0)[:, column]
    assert np.isnan(series[4])
    kept = series[np.isfinite(series)]
    assert np.isfinite(series).sum() == len(lengths) - 1  # a gap, not a jump: 180 | 30
    steps = np.abs(np.diff(series))
    assert np.nanmax(steps) <= 45  # consecutive values never jump
    assert kept[0] == pytest.approx(180) and kept[-1] == pytest.approx(30)


def test_angles_over_time_leave_out_a_jump_next_to_a_gap():
    # A wrist misplaced in the frame before it is lost: one neighbour only, and it jumps.
    from pose.body.angles import angle_series

    turns = np.array([0, 2, 4, 6, 100, 0, 10, 12, 14], np.float64)
    keypoints = forearm_series(len(turns), np.full(len(turns), 30.0), turns)
    keypoints[5, Joint.R_WRIST] = 0.0  # lost
    column = ANGLE_NAMES.index("r_elbow")
    series = angle_series(keypoints, np.arange(len(turns)) / 50.0)[:, column]
    assert np.isnan(series[4]) and np.isnan(series[5])
    assert np.isfinite(np.delete(series, [4, 5])).all()  # real steps of 2-10 degrees stay
    # the same jump with a neighbour on both sides that agrees with it stays: a movement
    keypoints[5, Joint.R_WRIST] = keypoints[4, Joint.R_WRIST]
    series = angle_series(keypoints, np.arange(len(turns)) / 50.0)[:, column]
    assert np.isfinite(series[4]) and np.isfinite(series[5])
