"""pose.match and pose.output.overlay on synthetic poses (no model)."""

import json
import math

import numpy as np
import pytest

from pose.body.skeleton import MIRROR, Joint
from pose.body.types import Pose
from pose.match import (
    ANGLES,
    METHODS,
    MIN_SHARED_JOINTS,
    OKS_SIGMAS,
    MatchError,
    joint_angles,
    match,
    mirrored,
    pick_person,
    rank_by_size,
    verdict,
)
from pose.media.images import InputError
from pose.output.overlay import FIRST_COLOR, SECOND_COLOR, WORST_COLOR, draw_numbered, draw_overlay

# A person facing the camera with the right arm raised and the left arm down, in pixels
# (x right, y down): asymmetric, so its mirror image is a different pose.
STANDING = {
    Joint.NOSE: (100, 40),
    Joint.NECK: (100, 70),
    Joint.R_SHOULDER: (80, 72),
    Joint.R_ELBOW: (70, 45),
    Joint.R_WRIST: (66, 15),
    Joint.L_SHOULDER: (120, 72),
    Joint.L_ELBOW: (126, 105),
    Joint.L_WRIST: (130, 135),
    Joint.R_HIP: (88, 140),
    Joint.R_KNEE: (86, 185),
    Joint.R_ANKLE: (85, 230),
    Joint.L_HIP: (112, 140),
    Joint.L_KNEE: (116, 185),
    Joint.L_ANKLE: (118, 230),
    Joint.R_EYE: (95, 35),
    Joint.L_EYE: (105, 35),
    Joint.R_EAR: (90, 38),
    Joint.L_EAR: (110, 38),
}


def make_pose(points=STANDING, score: float = 0.8, drop=()) -> Pose:
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (x, y) in points.items():
        if joint not in drop:
            keypoints[joint] = (x, y, score)
    return Pose(keypoints)


def transform(pose: Pose, shift=(0.0, 0.0), scale=1.0, degrees=0.0) -> Pose:
    """Rotate about the origin, scale, then shift the found joints."""
    keypoints = pose.keypoints.astype(np.float64).copy()
    angle = math.radians(degrees)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    found = keypoints[:, 2] > 0
    keypoints[found, :2] = keypoints[found, :2] @ rotation.T * scale + np.asarray(shift)
    return Pose(keypoints.astype(np.float32))


def moved(pose: Pose, joint: Joint, dx: float, dy: float) -> Pose:
    keypoints = pose.keypoints.copy()
    keypoints[joint, :2] += (dx, dy)
    return Pose(keypoints)


@pytest.mark.parametrize("method", METHODS)
def test_identical_poses_give_100(method):
    pose = make_pose()
    result = match(pose, pose, method=method)
    assert result.similarity == pytest.approx(100.0, abs=1e-6)
    assert result.method == method
    assert not result.mirrored
    assert result.verdict == "Same pose"


@pytest.mark.parametrize("method", ["normalized", "oks", "angles"])
def test_translated_and_scaled_copy_is_the_same_pose(method):
    pose = make_pose()
    copy = transform(pose, shift=(640.0, -90.0), scale=2.7)
    assert match(pose, copy, method=method).similarity >= 99.0
    assert match(copy, pose, method=method).similarity >= 99.0


def test_classic_changes_with_position_but_normalized_does_not():
    pose = make_pose()
    # 100 px away on every joint: the original formula gives 100 * (1 - 100 / 200).
    assert match(pose, transform(pose, shift=(100, 0)), "classic").similarity == pytest.approx(50)
    assert match(pose, transform(pose, shift=(400, 0)), "classic").similarity == 0.0
    assert match(pose, transform(pose, shift=(400, 0))).similarity == pytest.approx(100)


def test_rotation_alignment_is_bounded_by_max_rotation():
    pose = make_pose()
    tilted = transform(pose, shift=(50, 50), degrees=20)
    aligned = match(pose, tilted)
    assert aligned.similarity >= 99.0
    assert abs(aligned.rotation) == pytest.approx(20.0, abs=0.01)
    assert match(pose, tilted, max_rotation=0).similarity < 90.0
    # Lying down is a different pose unless full rotation is allowed; angles ignore it.
    lying = transform(pose, degrees=90)
    assert match(pose, lying).similarity < 80.0
    assert match(pose, lying, max_rotation=180).similarity >= 99.0
    assert match(pose, lying, method="angles").similarity >= 99.0


def test_aligned_pose_lies_on_the_reference():
    pose = make_pose()
    result = match(pose, transform(pose, shift=(300, 20), scale=0.5, degrees=-15))
    assert np.allclose(result.aligned.keypoints[:, :2], pose.keypoints[:, :2], atol=0.05)


@pytest.mark.parametrize("method", METHODS)
def test_mirrored_pose_matches_with_mirror_on(method):
    pose = make_pose()
    flipped = mirrored(pose)
    # The right arm is raised, so the swapped pose has the left arm up.
    assert flipped[Joint.L_WRIST][1] < flipped[Joint.L_SHOULDER][1]
    plain = match(pose, flipped, method=method)
    with_mirror = match(pose, flipped, method=method, mirror=True)
    assert with_mirror.mirrored
    assert with_mirror.similarity == pytest.approx(100.0, abs=1e-6)
    assert plain.similarity < 90.0
    assert not plain.mirrored
    # Mirror on never hurts a pose that is not mirrored.
    unflipped = match(pose, pose, method=method, mirror=True)
    assert not unflipped.mirrored and unflipped.similarity == pytest.approx(100.0, abs=1e-6)


def test_mirrored_relabels_and_reflects():
    pose = make_pose()
    flipped = mirrored(pose)
    assert mirrored(flipped).keypoints == pytest.approx(pose.keypoints)
    for joint in Joint:
        partner = MIRROR[joint]
        assert flipped[partner][1] == pose[joint][1]
    assert flipped.bbox() == pytest.approx(pose.bbox())


def test_missing_joints_are_skipped_not_counted_as_wrong():
    pose = make_pose()
    partial = make_pose(drop=(Joint.R_WRIST, Joint.L_ANKLE, Joint.L_EAR))
    for first, second in ((pose, partial), (partial, pose)):
        result = match(first, second)
        assert result.similarity == pytest.approx(100.0, abs=1e-6)
        assert Joint.R_WRIST not in result.joints
        assert len(result.joints) == 15
        assert {item.joint for item in result.breakdown} == set(result.joints)
    # A joint found far away in only one pose changes nothing either.
    far = pose.keypoints.copy()
    far[Joint.R_WRIST] = (5000, 5000, 0.0)
    assert match(partial, Pose(far)).similarity == pytest.approx(100.0, abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_too_few_shared_joints_is_an_error_not_a_number(method):
    keep = (Joint.NOSE, Joint.NECK, Joint.R_SHOULDER)
    few = make_pose(drop=[joint for joint in Joint if joint not in keep])
    with pytest.raises(MatchError, match="in both poses") as caught:
        match(make_pose(), few, method=method)
    assert isinstance(caught.value, InputError) and isinstance(caught.value, ValueError)
    assert MIN_SHARED_JOINTS == 4


def test_angles_needs_two_angles():
    # Head and shoulders only: joints enough for the others, but no elbow or knee angle.
    head = make_pose(drop=[j for j in Joint if j.label.endswith(("elbow", "wrist", "hip"))])
    assert match(make_pose(), head).similarity > 99.0
    with pytest.raises(MatchError, match="joint angles"):
        match(make_pose(), head, method="angles")


def test_breakdown_is_worst_first_and_names_the_moved_joint():
    pose = make_pose()
    bent = moved(pose, Joint.L_WRIST, -40, -30)
    for method in ("normalized", "oks", "classic"):
        result = match(pose, bent, method=method)
        assert result.breakdown[0].joint == Joint.L_WRIST, method
        scores = [item.score for item in result.breakdown]
        assert scores == sorted(scores)
        assert result.similarity < 100.0
    angles = match(pose, bent, method="angles")
    assert angles.breakdown[0].joint == Joint.L_ELBOW
    assert angles.unit == "degrees"
    assert match(pose, bent).worst(1) == (Joint.L_WRIST,)


def test_a_raised_arm_shows_in_the_arm_alone():
    pose = make_pose()
    # Raise the left arm like the right one: elbow and wrist move far, nothing else.
    raised = moved(moved(pose, Joint.L_ELBOW, 4, -60), Joint.L_WRIST, 6, -120)
    result = match(pose, raised)
    assert {item.joint for item in result.breakdown[:2]} == {Joint.L_ELBOW, Joint.L_WRIST}
    assert all(item.score > 95.0 for item in result.breakdown[2:])
    assert result.worst(3, below=70.0) == (Joint.L_WRIST, Joint.L_ELBOW)


def test_angles_measure_the_bend_in_degrees():
    pose = make_pose()
    angles = joint_angles(pose)
    assert set(angles) == {vertex for vertex, _, _ in ANGLES}
    # Swing the left wrist 90 degrees about the elbow: that elbow angle changes by 90.
    elbow = pose[Joint.L_ELBOW][:2]
    wrist = pose[Joint.L_WRIST][:2] - elbow
    swung = moved(pose, Joint.L_WRIST, -wrist[0] - wrist[1], wrist[0] - wrist[1])
    difference = {item.joint: item.difference for item in match(pose, swung, "angles").breakdown}
    assert difference[Joint.L_ELBOW] == pytest.approx(90.0, abs=0.01)
    assert difference[Joint.R_KNEE] == pytest.approx(0.0, abs=1e-6)


def test_confidence_weighting_discounts_uncertain_joints():
    pose = make_pose()
    unsure = pose.keypoints.copy()
    unsure[Joint.L_WRIST, 2] = 0.05
    unsure_pose = Pose(unsure)
    sure_moved = match(pose, moved(pose, Joint.L_WRIST, 30, 0))
    unsure_moved = match(unsure_pose, moved(unsure_pose, Joint.L_WRIST, 30, 0))
    assert unsure_moved.similarity > sure_moved.similarity


def test_oks_is_stricter_on_eyes_than_on_hips():
    assert OKS_SIGMAS[Joint.R_EYE] == pytest.approx(0.025)
    assert OKS_SIGMAS[Joint.L_HIP] == pytest.approx(0.107)
    assert OKS_SIGMAS[Joint.NECK] == pytest.approx(0.079)
    pose = make_pose()
    eye = match(pose, moved(pose, Joint.R_EYE, 4, 0), "oks").similarity
    hip = match(pose, moved(pose, Joint.R_HIP, 4, 0), "oks").similarity
    assert eye < hip < 100.0


def test_unknown_method_and_bad_rotation_are_value_errors():
    with pytest.raises(ValueError, match="Unknown method"):
        match(make_pose(), make_pose(), method="euclid")
    with pytest.raises(ValueError, match="max_rotation"):
        match(make_pose(), make_pose(), max_rotation=270)


def test_result_is_frozen_and_json_ready():
    result = match(make_pose(), moved(make_pose(), Joint.NOSE, 3, 3), mirror=True)
    payload = json.loads(json.dumps(result.to_dict()))
    assert {"similarity", "method", "joints", "breakdown", "mirrored", "verdict"} <= set(payload)
    assert payload["joints"][0] == "nose"
    assert payload["breakdown"][0]["joint"] == "nose"
    with pytest.raises(AttributeError):
        result.similarity = 1.0


def test_verdicts_are_ordered():
    assert [verdict(v) for v in (100, 86, 71, 51, 10)] == [
        "Same pose",
        "Same pose",
        "Similar pose",
        "Somewhat alike",
        "Different pose",
    ]


def test_pick_person_largest_first_and_clear_errors():
    small = transform(make_pose(), scale=0.5)
    large = transform(make_pose(), scale=2.0, shift=(300, 0))
    assert rank_by_size([small, large])[0] is large
    assert pick_person([small, large]) is large
    assert pick_person([small, large], 2) is small
    with pytest.raises(MatchError, match="No person found in image 2"):
        pick_person([], 1, "image 2")
    with pytest.raises(MatchError, match="1 to 2, not 3"):
        pick_person([small, large], 3, "image 1")


def test_overlay_draws_both_skeletons_and_rings_the_worst():
    pose = make_pose()
    other = moved(pose, Joint.L_WRIST, -40, -30)
    canvas = draw_overlay(pose, other, highlight=[Joint.L_WRIST], size=256)
    assert canvas.dtype == np.uint8 and canvas.ndim == 3 and max(canvas.shape[:2]) == 256
    colours = {tuple(pixel) for pixel in canvas.reshape(-1, 3)}
    assert FIRST_COLOR in colours
    assert SECOND_COLOR in colours
    assert WORST_COLOR in colours
    assert canvas[-1, -1].tolist() == [255, 255, 255]


def test_numbered_people_leave_the_input_untouched():
    image = np.zeros((240, 320, 3), np.uint8)
    people = [make_pose(), transform(make_pose(), scale=0.5, shift=(180, 40))]
    out = draw_numbered(image, people, chosen=2)
    assert image.sum() == 0
    assert out.shape == image.shape and out.sum() > 0
    # The chosen person's number sits on a green box.
    assert ((out[..., 1] == 170) & (out[..., 0] == 0)).any()


def test_worst_in_second_names_the_second_poses_own_joints():
    pose = make_pose()
    raised = moved(moved(pose, Joint.L_ELBOW, 4, -60), Joint.L_WRIST, 6, -120)
    plain = match(pose, raised)
    assert not plain.mirrored
    assert plain.worst_in_second(3, below=70.0) == plain.worst(3, below=70.0)
    # The second pose is the raised one seen in a mirror: its raised arm is its right arm.
    result = match(pose, mirrored(raised), mirror=True)
    assert result.mirrored
    assert result.worst(3, below=70.0) == (Joint.L_WRIST, Joint.L_ELBOW)
    assert result.worst_in_second(3, below=70.0) == (Joint.R_WRIST, Joint.R_ELBOW)
