"""The plausibility check on hand-built skeletons: joined bodies split, real bodies untouched."""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import Pose, number_people
from pose.photo.plausible import (
    EDGES,
    body_height,
    check_people,
    implausible_limbs,
    limb_lengths,
    split_parts,
)

J = Joint
CELL = 8.0  # image pixels per heatmap cell at a common input size

# A person standing, facing the camera, 1 unit tall (neck at the origin, y down):
# typical adult proportions.
STANDING = {
    J.NOSE: (0.0, -0.09), J.R_EYE: (-0.02, -0.11), J.L_EYE: (0.02, -0.11),
    J.R_EAR: (-0.05, -0.10), J.L_EAR: (0.05, -0.10), J.NECK: (0.0, 0.0),
    J.R_SHOULDER: (-0.11, 0.01), J.L_SHOULDER: (0.11, 0.01),
    J.R_ELBOW: (-0.13, 0.19), J.L_ELBOW: (0.13, 0.19),
    J.R_WRIST: (-0.14, 0.33), J.L_WRIST: (0.14, 0.33),
    J.R_HIP: (-0.09, 0.30), J.L_HIP: (0.09, 0.30),
    J.R_KNEE: (-0.09, 0.53), J.L_KNEE: (0.09, 0.53),
    J.R_ANKLE: (-0.09, 0.76), J.L_ANKLE: (0.09, 0.76),
}  # fmt: skip


def person(points: dict, x: float, y: float, height: float, score: float = 0.8) -> Pose:
    """A Pose with ``points`` (unit-height coordinates) scaled by ``height`` and moved so
    the neck is at (x, y)."""
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (px, py) in points.items():
        keypoints[joint] = (x + px * height, y + py * height, score)
    return Pose(keypoints=keypoints, score=score)


def sitting() -> dict:
    """Seen from the side on a chair: thighs level towards the camera's left, shins down,
    hands on the knees."""
    points = dict(STANDING)
    points.update({
        J.R_HIP: (0.0, 0.30), J.L_HIP: (0.01, 0.30),
        J.R_KNEE: (-0.23, 0.31), J.L_KNEE: (-0.22, 0.32),
        J.R_ANKLE: (-0.24, 0.55), J.L_ANKLE: (-0.23, 0.56),
        J.R_ELBOW: (-0.06, 0.17), J.L_ELBOW: (-0.05, 0.18),
        J.R_WRIST: (-0.20, 0.29), J.L_WRIST: (-0.19, 0.30),
    })  # fmt: skip
    return points


def foreshortened() -> dict:
    """Bent over towards the camera: the torso and the upper arms seen end-on (a third of
    their length), arms hanging, legs whole."""
    points = dict(STANDING)
    points.update({
        J.R_ELBOW: (-0.12, 0.06), J.L_ELBOW: (0.12, 0.06),
        J.R_WRIST: (-0.12, 0.18), J.L_WRIST: (0.12, 0.18),
        J.R_HIP: (-0.09, 0.10), J.L_HIP: (0.09, 0.10),
        J.R_KNEE: (-0.09, 0.33), J.L_KNEE: (0.09, 0.33),
        J.R_ANKLE: (-0.09, 0.56), J.L_ANKLE: (0.09, 0.56),
    })  # fmt: skip
    return points


def test_a_standing_person_gives_their_height():
    lengths, found = limb_lengths(person(STANDING, 0, 0, 300).keypoints[None])
    assert found.shape == (1, len(EDGES)) and found.all()
    assert body_height(lengths, found)[0] == pytest.approx(300, rel=0.1)


@pytest.mark.parametrize(
    ("label", "points", "height"),
    [
        ("standing", STANDING, 300),
        ("sitting", sitting(), 300),
        ("foreshortened", foreshortened(), 300),
        ("small and far away", STANDING, 24),
    ],
)
def test_real_bodies_are_untouched(label, points, height):
    crowd = [person(points, 200, 100, height), person(STANDING, 600, 100, 200)]
    assert not implausible_limbs(np.stack([p.keypoints for p in crowd]), CELL).any(), label
    kept = check_people(crowd, CELL)
    assert len(kept) == 2 and kept[0] is crowd[0] and kept[1] is crowd[1], label


def test_a_small_person_with_a_cell_of_joint_error_is_untouched():
    rng = np.random.default_rng(3)
    for _ in range(20):
        body = person(STANDING, 50, 50, 30)
        keypoints = body.keypoints.copy()
        keypoints[:, :2] += rng.uniform(-0.5 * CELL, 0.5 * CELL, size=(18, 2))
        noisy = Pose(keypoints=keypoints, score=body.score)
        assert check_people([noisy], CELL) == [noisy]


def test_a_leg_joined_to_another_persons_ankle_loses_the_ankle():
    # Street crowd: a small person behind (neck at 640, 176, 150 px tall) whose right
    # ankle is the ankle of someone in front, far to the lower left.
    body = person(STANDING, 640, 176, 150)
    keypoints = body.keypoints.copy()
    keypoints[J.R_ANKLE, :2] = (490, 360)
    joined = Pose(keypoints=keypoints, score=body.score)
    (kept,) = check_people([joined], CELL)
    assert not kept.visible[J.R_ANKLE] and kept.num_visible == 17
    assert kept.area < 0.3 * joined.area  # no longer the largest person in the photo


def test_two_bodies_joined_at_the_neck_are_split_into_both():
    # The upper body of one person and the pelvis and legs of another, 400 px lower and
    # to the side, joined by the neck -> hip limbs.
    legs = {J.R_HIP, J.L_HIP, J.R_KNEE, J.L_KNEE, J.R_ANKLE, J.L_ANKLE}
    upper = person({j: p for j, p in STANDING.items() if j not in legs}, 300, 100, 200)
    lower = person({j: p for j, p in STANDING.items() if j in legs}, 700, 100, 220)
    keypoints = upper.keypoints + lower.keypoints
    joined = Pose(keypoints=keypoints, score=0.8)
    cut = implausible_limbs(keypoints[None], CELL)[0]
    assert {EDGES[i] for i in np.flatnonzero(cut)} == {(J.NECK, J.R_HIP), (J.NECK, J.L_HIP)}
    parts = check_people([joined], CELL)
    assert len(parts) == 2
    by_joints = {frozenset(np.flatnonzero(p.visible)) for p in parts}
    assert by_joints == {
        frozenset(np.flatnonzero(upper.visible)),
        frozenset(np.flatnonzero(lower.visible)),
    }
    for part in parts:  # scored as the decoder scores people
        assert part.score == pytest.approx(0.8 * part.num_visible / 18)


def test_a_head_far_from_its_shoulders_is_cut_off():
    body = person(STANDING, 300, 200, 300)
    keypoints = body.keypoints.copy()
    for joint in (J.NOSE, J.R_EYE, J.L_EYE, J.R_EAR, J.L_EAR):
        keypoints[joint, :2] += (250, -150)  # another person's head, up and to the right
    # The head alone (five face joints, no body) is a piece of someone, not a person.
    (kept,) = check_people([Pose(keypoints=keypoints, score=0.8)], CELL)
    assert kept.num_visible == 13 and not kept.visible[J.NOSE]


def test_an_arm_with_an_ear_cut_off_is_no_person():
    # Shoulder, elbow, wrist and ear: four joints, but three of the body.
    body = person(STANDING, 300, 200, 300)
    keypoints = body.keypoints.copy()
    for joint in (J.L_SHOULDER, J.L_ELBOW, J.L_WRIST, J.L_EAR):
        keypoints[joint, :2] += (400, 0)
    (kept,) = check_people([Pose(keypoints=keypoints, score=0.8)], CELL)
    assert kept.num_visible == 14 and not kept.visible[J.L_WRIST]


def test_tiny_leftovers_are_dropped():
    # A forearm reaching to another person: elbow-wrist 5 times too long; the wrist alone
    # is no one.
    body = person(STANDING, 300, 200, 300)
    keypoints = body.keypoints.copy()
    keypoints[J.L_WRIST, :2] = (300 + 0.13 * 300 + 220, 200 + 0.19 * 300)
    (kept,) = check_people([Pose(keypoints=keypoints, score=0.8)], CELL)
    assert kept.num_visible == 17 and not kept.visible[J.L_WRIST]


def test_split_parts_keeps_both_hips_together_once_the_neck_is_cut():
    body = person(STANDING, 0, 0, 300)
    cut = np.zeros(len(EDGES), bool)
    cut[EDGES.index((J.NECK, J.R_HIP))] = cut[EDGES.index((J.NECK, J.L_HIP))] = True
    parts = split_parts(body.keypoints, cut)
    assert [int((p[:, 2] > 0).sum()) for p in parts] == [12, 6]
    legs = parts[1]
    assert (legs[[J.R_HIP, J.L_HIP, J.R_ANKLE, J.L_ANKLE], 2] > 0).all()


def test_people_with_too_few_limbs_to_measure_are_untouched():
    # Nose and neck only: one measuring limb, no height to judge by.
    keypoints = np.zeros((18, 3), np.float32)
    keypoints[J.NOSE] = (0, 0, 0.9)
    keypoints[J.NECK] = (0, 900, 0.9)
    lonely = Pose(keypoints=keypoints, score=0.1)
    assert check_people([lonely], CELL) == [lonely]
    assert check_people([], CELL) == []


def test_after_the_check_person_1_is_a_real_person():
    # A joined skeleton spans two people and would be numbered first (largest first).
    near = person(STANDING, 500, 200, 300)
    far = person(STANDING, 640, 176, 100)
    keypoints = far.keypoints.copy()
    keypoints[J.R_ANKLE, :2] = (300, 600)
    joined = Pose(keypoints=keypoints, score=0.8)
    assert number_people([near, joined])[0] is joined
    numbered = number_people(check_people([near, joined], CELL))
    assert numbered[0] is near and numbered[1].num_visible == 17
