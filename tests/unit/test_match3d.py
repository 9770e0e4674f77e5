"""The 3d matching method and the 3D crop geometry: pure functions, no model."""

import math

import numpy as np
import pytest

from benchmarks.pose3d import load_frames, project, truth_joints, turn
from pose.body.skeleton import MIRROR, Joint
from pose.body.types import Pose
from pose.match import (
    ALL_METHODS,
    METHODS,
    MIN_VISIBILITY_3D,
    MatchError,
    match,
    match_joints3d,
    mirrored_joints3d,
)
from pose.media.images import InputError
from pose.pose3d.blazepose import Crop, crop_for, hips_below, upright_crop
from tests.unit.test_procrustes import rotation_about


@pytest.fixture(scope="module")
def truths() -> list[np.ndarray]:
    """The eval frames' ground truth as (18, 4) OpenPose-ordered 3D joints."""
    return [truth_joints(frame) for frame in load_frames()]


def body() -> np.ndarray:
    """A standing person's 18 joints in metres (x right, y down, z away), right arm forward."""
    rows = {
        Joint.NOSE: (0.0, -0.62, -0.08), Joint.NECK: (0.0, -0.5, 0.0),
        Joint.R_SHOULDER: (-0.18, -0.5, 0.0), Joint.R_ELBOW: (-0.22, -0.4, -0.25),
        Joint.R_WRIST: (-0.2, -0.42, -0.5), Joint.L_SHOULDER: (0.18, -0.5, 0.0),
        Joint.L_ELBOW: (0.24, -0.25, 0.02), Joint.L_WRIST: (0.27, -0.02, 0.0),
        Joint.R_HIP: (-0.1, 0.0, 0.0), Joint.R_KNEE: (-0.11, 0.42, 0.03),
        Joint.R_ANKLE: (-0.12, 0.84, 0.08), Joint.L_HIP: (0.1, 0.0, 0.0),
        Joint.L_KNEE: (0.12, 0.42, -0.1), Joint.L_ANKLE: (0.13, 0.82, 0.05),
        Joint.R_EYE: (-0.03, -0.65, -0.07), Joint.L_EYE: (0.03, -0.65, -0.07),
        Joint.R_EAR: (-0.07, -0.63, 0.0), Joint.L_EAR: (0.07, -0.63, 0.0),
    }  # fmt: skip
    joints = np.ones((18, 4))
    for joint, xyz in rows.items():
        joints[joint, :3] = xyz
    return joints


def moved(joints: np.ndarray, rotation=np.eye(3), scale=1.0, shift=(0, 0, 0)) -> np.ndarray:
    out = joints.copy()
    out[:, :3] = scale * joints[:, :3] @ np.asarray(rotation).T + shift
    return out


def test_3d_is_a_method_of_its_own():
    assert "3d" in ALL_METHODS and "3d" not in METHODS  # METHODS: the 2D ones
    pose = Pose(np.ones((18, 3), np.float32))
    with pytest.raises(ValueError, match="lift both people"):
        match(pose, pose, method="3d")
    with pytest.raises(ValueError, match="Unknown method"):
        match(pose, pose, method="4d")


TURNS = [([0, 1, 0], 90), ([0, 1, 0], 180), ([1, 0.3, 0], 47), ([0.2, 0.1, 1], 160)]


@pytest.mark.parametrize(("axis", "degrees"), TURNS)
def test_any_rotation_scale_and_shift_is_the_same_pose(axis, degrees):
    pose = body()
    other = moved(pose, rotation_about(axis, degrees), scale=1.7, shift=(3, -1, 6))
    result = match_joints3d(pose, other)
    assert result.similarity == pytest.approx(100.0, abs=1e-6)
    assert result.rotation == pytest.approx(degrees, abs=1e-4)
    assert result.verdict == "Same pose" and result.method == "3d"
    assert result.unit == "body size"


def test_breakdown_names_the_moved_joint_worst_first():
    pose = body()
    bent = pose.copy()
    bent[Joint.L_WRIST, :3] = (0.3, -0.6, -0.3)  # left hand raised forward
    result = match_joints3d(pose, moved(bent, rotation_about([0, 1, 0], 70)))
    assert result.breakdown[0].joint == Joint.L_WRIST
    scores = [item.score for item in result.breakdown]
    assert scores == sorted(scores)
    assert 50.0 < result.similarity < 100.0
    # The robust fit keeps the torso in line: the hips and shoulders still agree.
    by_joint = {item.joint: item for item in result.breakdown}
    assert by_joint[Joint.R_HIP].score > 90 and by_joint[Joint.R_SHOULDER].score > 90


def test_mirror_finds_the_left_right_swap():
    pose = body()
    swapped = mirrored_joints3d(pose)
    assert np.allclose(mirrored_joints3d(swapped), pose)
    assert swapped[Joint.L_WRIST, 2] == pytest.approx(pose[Joint.R_WRIST, 2])  # arm forward
    plain = match_joints3d(pose, swapped)
    assert plain.similarity < 90.0 and not plain.mirrored
    with_mirror = match_joints3d(pose, moved(swapped, rotation_about([0, 1, 0], 40)), True)
    assert with_mirror.mirrored and with_mirror.similarity == pytest.approx(100.0, abs=1e-6)
    assert [MIRROR[j] for j in MIRROR] == list(Joint)


def test_unseen_joints_are_left_out_and_too_few_is_an_error():
    pose = body()
    hidden = pose.copy()
    hidden[[Joint.R_WRIST, Joint.R_ELBOW], 3] = MIN_VISIBILITY_3D / 2
    hidden[Joint.R_WRIST, :3] = (5.0, 5.0, 5.0)  # a guess far off counts for nothing
    result = match_joints3d(pose, hidden)
    assert result.similarity == pytest.approx(100.0, abs=1e-6)
    assert Joint.R_WRIST not in result.joints and len(result.joints) == 16
    few = pose.copy()
    few[3:, 3] = 0.0  # three joints left
    with pytest.raises(MatchError, match="seen in both") as caught:
        match_joints3d(pose, few)
    assert isinstance(caught.value, InputError)
    with pytest.raises(ValueError, match=r"\(18, 4\)"):
        match_joints3d(pose, pose[:, :3])


def test_viewpoint_changes_fool_2d_matching_but_not_3d(truths):
    """The ground truth turned about the vertical and projected: 2D ``normalized`` sees a
    different pose from 60 degrees on, 3d the same pose at every angle, and each frame's
    pose stays nearer itself from any side than any other frame's pose."""
    for i, truth in enumerate(truths):
        others = [match_joints3d(truth, t).similarity for j, t in enumerate(truths) if j != i]
        for degrees in (30, 60, 90, 150):
            turned = turn(truth, degrees)
            assert match_joints3d(truth, turned).similarity == pytest.approx(100, abs=1e-6)
            assert match_joints3d(turned, truth).similarity > max(others)
        assert match(project(truth), project(turn(truth, 90))).similarity < 70.0
    mean_2d_at_60 = np.mean([match(project(t), project(turn(t, 60))).similarity for t in truths])
    assert mean_2d_at_60 < 70.0  # not even "Similar pose"


def test_turn_keeps_the_hips_and_bone_lengths(truths):
    truth = truths[0]
    turned = turn(truth, 75)
    hips = [Joint.R_HIP, Joint.L_HIP]
    assert np.allclose(turned[hips, :3].mean(axis=0), truth[hips, :3].mean(axis=0))
    assert np.linalg.norm(turned[Joint.R_KNEE, :3] - turned[Joint.R_ANKLE, :3]) == pytest.approx(
        np.linalg.norm(truth[Joint.R_KNEE, :3] - truth[Joint.R_ANKLE, :3])
    )
    assert turned[Joint.R_KNEE, 1] == pytest.approx(truth[Joint.R_KNEE, 1])  # height kept


# ----------------------------------------------------------------------- crop geometry


def standing(angle_degrees: float = 0.0, centre=(300.0, 400.0)) -> Pose:
    """An upright 2D person (hips at ``centre``), turned by ``angle_degrees`` on screen."""
    body_xy = body()[:, :2] * 300  # metres -> pixels, hips at the origin
    angle = math.radians(angle_degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    keypoints = np.ones((18, 3), np.float32)
    keypoints[:, :2] = body_xy @ rotation.T + centre
    return Pose(keypoints)


@pytest.mark.parametrize("degrees", [0, 35, -90, 180])
def test_crop_turns_the_body_upright(degrees):
    person = standing(degrees)
    crop = crop_for(person)
    to_crop = crop.to_crop(256)
    hips = person.keypoints[[Joint.R_HIP, Joint.L_HIP], :2].mean(axis=0)
    neck = person.keypoints[Joint.NECK, :2]
    hips_in, neck_in = (to_crop[:, :2] @ p + to_crop[:, 2] for p in (hips, neck))
    assert hips_in == pytest.approx((128, 128), abs=1e-6)  # centred between the hips
    assert neck_in[0] == pytest.approx(128, abs=1e-6) and neck_in[1] < 128  # neck straight up
    # Every joint (and the head above the nose) fits inside the crop.
    inside = person.keypoints[:, :2] @ to_crop[:, :2].T + to_crop[:, 2]
    assert (inside > 0).all() and (inside < 256).all()
    assert np.allclose(crop.to_image() @ np.append(hips_in, 1), hips)  # inverse


def test_unrotate_turns_crop_axes_back_to_the_image():
    crop = upright_crop(np.array([0.0, 0.0]), np.array([1.0, 0.0]), 10.0)  # body lies along +x
    assert math.degrees(crop.angle) == pytest.approx(-90)
    # In the crop the body points up (-y); in the image, along +x. Depth is kept.
    assert crop.unrotate(np.array([[0.0, -1.0, 0.4]]))[0] == pytest.approx([1.0, 0.0, 0.4])


def test_too_few_joints_give_no_crop_and_no_torso_an_unturned_one():
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[:3] = (10, 10, 1), (12, 30, 1), (30, 30, 1)
    assert crop_for(Pose(keypoints)) is None
    arms = standing().keypoints.copy()
    arms[[Joint.NECK, Joint.R_SHOULDER, Joint.R_HIP, Joint.L_HIP], 2] = 0  # no torso to go by
    crop = crop_for(Pose(arms))
    assert isinstance(crop, Crop) and crop.angle == 0.0


def test_an_upper_body_gets_its_hips_below_the_photo_edge():
    neck, right, left = np.array([200.0, 100.0]), np.array([140.0, 100.0]), np.array([260.0, 100.0])
    nose = np.array([200.0, 60.0])
    # 1.55 shoulder widths (186 px) beats 2 neck-to-nose distances (80 px); away from the nose.
    assert hips_below(neck, right, left, nose) == pytest.approx([200.0, 100.0 + 1.55 * 120])
    # Turned sideways, the shoulders look narrow: the head's size wins.
    narrow = hips_below(neck, np.array([195.0, 100.0]), np.array([205.0, 100.0]), nose)
    assert narrow == pytest.approx([200.0, 180.0])
    # Upside down (nose below), the hips go up; without a nose, down the photo.
    assert hips_below(neck, right, left, np.array([200.0, 140.0]))[1] < 100
    assert hips_below(neck, left, right, None)[1] > 100
    upper = standing().keypoints.copy()
    legs = [Joint.R_HIP, Joint.L_HIP, Joint.R_KNEE, Joint.L_KNEE, Joint.R_ANKLE, Joint.L_ANKLE]
    upper[legs, 2] = 0
    crop = crop_for(Pose(upper))
    assert crop.centre[1] > upper[Joint.NECK, 1] + 100 and abs(crop.angle) < 1e-6
