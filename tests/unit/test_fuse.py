"""Fusing people found in several passes, and the photo mode's pure helpers."""

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.photo.fuse import Pass, combine_readings, fuse_passes, person_height, similarity
from pose.photo.modes import brighten, is_dark, scaled_box, stretched

J = Joint
# A person standing upright, 1 unit tall, feet at y = 1 (x, y as shares of the height).
STANDING = {
    J.NOSE: (0.0, 0.07), J.NECK: (0.0, 0.17),
    J.R_SHOULDER: (-0.11, 0.17), J.L_SHOULDER: (0.11, 0.17),
    J.R_ELBOW: (-0.11, 0.36), J.L_ELBOW: (0.11, 0.36),
    J.R_WRIST: (-0.11, 0.51), J.L_WRIST: (0.11, 0.51),
    J.R_HIP: (-0.06, 0.47), J.L_HIP: (0.06, 0.47),
    J.R_KNEE: (-0.06, 0.715), J.L_KNEE: (0.06, 0.715),
    J.R_ANKLE: (-0.06, 0.965), J.L_ANKLE: (0.06, 0.965),
}  # fmt: skip


def person(height: float, x: float = 0.0, y: float = 0.0, score: float = 0.5, joints=None) -> Pose:
    """A standing person ``height`` pixels tall with the top of the head at (x, y)."""
    keypoints = np.zeros((18, 3), np.float32)
    for joint, (dx, dy) in STANDING.items():
        if joints is None or joint in joints:
            keypoints[joint] = (x + dx * height, y + dy * height, 0.8)
    return Pose(keypoints=keypoints, score=score)


def test_height_of_a_standing_person_is_close_to_true():
    assert person_height(person(300, 500, 100)) == pytest.approx(300, rel=0.1)


def test_height_uses_what_is_found_and_is_zero_without_a_segment():
    upper_body = person(300, joints={J.NECK, J.R_SHOULDER, J.R_ELBOW, J.R_WRIST, J.R_HIP})
    assert person_height(upper_body) == pytest.approx(300, rel=0.15)
    assert person_height(person(300, joints={J.NOSE, J.R_KNEE})) == 0.0


def test_one_misplaced_joint_does_not_inflate_the_height():
    keypoints = person(200).keypoints.copy()
    keypoints[J.L_WRIST, :2] += (0, 400)  # the left forearm now looks 2.7x the height
    assert person_height(Pose(keypoints=keypoints)) < 250


def test_similarity_of_same_and_different_people():
    a = person(200, 100, 50)
    assert similarity(a, a, 200) == pytest.approx(1.0)
    assert similarity(a, person(200, 104, 52), 200) > 0.9
    assert similarity(a, person(200, 400, 50), 200) < 0.01
    assert similarity(a, person(200, joints={J.NOSE}), 200) == 0.0  # one shared joint


def test_each_person_comes_from_the_pass_that_suits_their_size():
    # The same person (300 px tall in the photo) found in two passes: at factor 1 they were
    # 300 network pixels tall, at factor 0.8 they were 240; the target is 250.
    big_pass = person(300, 100, 50, score=0.9)
    fitting = person(300, 103, 52, score=0.4)
    fused = fuse_passes([Pass((big_pass,), 1.0), Pass((fitting,), 0.8)], target=250)
    assert fused == [fitting]
    # With a target of 300 the other pass suits better.
    assert fuse_passes([Pass((big_pass,), 1.0), Pass((fitting,), 0.8)], target=300) == [big_pass]


def test_people_seen_in_one_pass_only_are_kept_largest_first():
    left, right, small = person(300, 100, 50, 0.4), person(300, 600, 50, 0.7), person(80, 900, 0)
    fused = fuse_passes([Pass((left, right), 0.8), Pass((right, small), 1.6)], target=250)
    # One numbering everywhere: largest first, the better score first between equals.
    assert [p.score for p in fused] == [0.7, 0.4, 0.5]
    assert len(fused) == 3


def test_a_joint_three_passes_found_is_the_reading_closest_to_the_others():
    # One person in three passes; the pass that suits them best put the right wrist 30 px
    # off, the other two agree: the medoid takes one of theirs, the other joints stay.
    kept = person(300, 100, 50, score=0.9)
    keypoints = kept.keypoints.copy()
    keypoints[J.R_WRIST, :2] += 30
    kept = Pose(keypoints=keypoints, score=0.9)
    a, b = person(300, 101, 50), person(300, 99, 51)
    fused = fuse_passes([Pass((kept,), 0.8), Pass((a,), 1.0), Pass((b,), 0.5)], joints="medoid")
    assert len(fused) == 1 and fused[0].score == 0.9
    wrist = fused[0].keypoints[J.R_WRIST, :2]
    assert any(np.allclose(wrist, other.keypoints[J.R_WRIST, :2]) for other in (a, b))
    assert np.allclose(fused[0].keypoints[J.NOSE], kept.keypoints[J.NOSE])
    assert fuse_passes([Pass((kept,), 0.8), Pass((a,), 1.0), Pass((b,), 0.5)]) == [kept]
    # With two readings nothing is outvoted.
    assert np.array_equal(combine_readings(kept, [a]).keypoints, kept.keypoints)
    with pytest.raises(ValueError):
        combine_readings(kept, [a, b], "mode")


def test_no_people_fuse_to_none():
    assert fuse_passes([Pass((), 1.0), Pass((), 0.6)]) == []


def test_dark_photos_are_told_apart_and_brightened():
    rng = np.random.default_rng(0)
    dark = rng.integers(0, 6, (300, 400, 3), dtype=np.uint8)  # the low-light set's levels
    assert is_dark(dark, 40) and not is_dark(np.full((300, 400, 3), 120, np.uint8), 40)
    bright = brighten(dark, (200, 150))
    assert bright.shape == (150, 200, 3) and bright.dtype == np.uint8
    assert bright.mean() > 60  # from a mean of 2.5
    # Shrinking before stretching recovers levels between the photo's six values.
    assert len(np.unique(brighten(dark, (200, 150), clahe=0))) > 12


def test_pass_boxes_stay_within_the_allowed_sizes():
    assert scaled_box((432, 368), 0.6) == (259, 221)
    assert scaled_box((64, 64), 0.6) == (64, 64)
    assert scaled_box((2048, 1600), 1.6) == (2048, 2048)


def test_brightened_coordinates_scale_back_per_axis():
    (moved,) = stretched([person(100, 10, 20)], (2.0, 3.0))
    assert moved[J.NOSE][:2].tolist() == pytest.approx([20.0, (20 + 7) * 3.0])
    assert moved[J.NOSE][2] == pytest.approx(0.8)
