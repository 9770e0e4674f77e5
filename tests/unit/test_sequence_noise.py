"""The measurement's noise allowed for in scores over time (pose.sequence.noise)."""

from __future__ import annotations

import numpy as np

from pose.match import normalized_scores
from pose.sequence import compare_sequences
from pose.sequence.noise import JITTER_FACTOR, NOISE_FLOOR, allowance, allowed_scores, jitter
from tests.unit.test_sequence import jitter as shake
from tests.unit.test_sequence import movement, sequence


def test_a_joint_within_the_allowance_scores_full_and_beyond_twice_it_as_in_match():
    pose = movement(np.array([0.3]))
    moved = pose.copy()
    distances = np.full((1, 18), np.nan)
    far = 3 * NOISE_FLOOR
    cases = ((0.0, 100.0), (0.5 * NOISE_FLOOR, 100.0), (1.5 * NOISE_FLOOR, None),
             (far, 100 * (1 - far / 0.5)), (0.6, 0.0))  # fmt: skip
    for d, expected in cases:
        distances[:] = d
        similarity, joints = allowed_scores(pose, moved, distances, NOISE_FLOOR)
        if expected is None:  # on the knee: between the Match tab's score and full marks
            assert 100 * (1 - d / 0.5) < joints[0, 0] < 100
        else:
            assert np.allclose(joints, expected)
            assert np.isclose(similarity[0], expected)


def test_missing_joints_stay_unscored_and_weigh_nothing():
    pose = movement(np.array([0.3]))
    distances = np.zeros((1, 18))
    distances[0, :4] = np.nan
    distances[0, 4:8] = 0.6  # far off
    similarity, joints = allowed_scores(pose, pose, distances, NOISE_FLOOR)
    assert np.isnan(joints[0, :4]).all()
    assert np.isclose(similarity[0], 100 * 10 / 14)


def test_jitter_grows_with_the_noise_and_ignores_frames_far_apart():
    smooth = movement(np.linspace(0, 1, 60))
    times = np.arange(60) / 30.0
    calm, shaky = jitter(smooth, times), jitter(shake(smooth, 4.0), times)
    assert calm.max() < 0.01
    assert shaky.mean() > 3 * max(calm.mean(), 1e-3)
    assert not jitter(shake(smooth, 4.0), np.arange(60) * 1.0).any()  # a second apart
    allowed = allowance(smooth, times, shake(smooth, 4.0), times)
    assert (allowed >= NOISE_FLOOR).all()
    assert allowed.max() > NOISE_FLOOR  # shaky enough to widen the floor
    assert JITTER_FACTOR > 1


def test_a_noisy_copy_scores_above_95_and_another_movement_stays_low():
    reference = sequence(movement(np.linspace(0, 1, 60)))
    copy = sequence(shake(movement(np.linspace(0, 1, 90)), 3.0))
    squat = sequence(shake(movement(np.linspace(0, 1, 90), "squat"), 3.0))
    plain = compare_sequences(reference, copy, allow_noise=False)
    allowed = compare_sequences(reference, copy)
    assert allowed.similarity >= 95 > plain.similarity
    other = compare_sequences(reference, squat)
    assert allowed.similarity - other.similarity > 20
    assert other.verdict != "Same pose"
    # the joint scores agree with the similarity (same weights as the Match tab)
    _, distances = normalized_scores(
        reference.keypoints[allowed.steps[:, 0]], copy.keypoints[allowed.steps[:, 1]]
    )
    assert np.isfinite(allowed.joint_scores).sum() == np.isfinite(distances).sum()
