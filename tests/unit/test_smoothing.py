"""One Euro filter and per-person smoothing, on synthetic keypoint tracks."""

from __future__ import annotations

import numpy as np
import pytest

from pose.body.types import Pose
from pose.video.smoothing import OneEuroParams, PoseSmoother, one_euro_step, smoothing_factor

FPS = 10.0


def run_filter(values: np.ndarray, params: OneEuroParams = OneEuroParams()) -> np.ndarray:
    state, out = None, []
    for step, value in enumerate(values):
        state = one_euro_step(state, value, step / FPS, params=params)
        out.append(state.value.copy())
    return np.array(out)


def test_smoothing_factor_grows_with_cutoff_and_step():
    assert 0 < smoothing_factor(1.0, 0.1) < smoothing_factor(5.0, 0.1) < 1
    assert smoothing_factor(1.0, 0.1) < smoothing_factor(1.0, 0.5)


def test_still_joint_jitter_is_reduced():
    rng = np.random.default_rng(1)
    noisy = 0.5 + rng.normal(0, 0.004, size=(100, 2))  # ~2.5 px jitter in a 640 px frame
    smoothed = run_filter(noisy)
    assert smoothed[20:].std() < 0.5 * noisy[20:].std()
    assert abs(smoothed[20:].mean() - 0.5) < 0.002


def test_fast_motion_lags_far_less_than_a_plain_low_pass():
    line = np.linspace(0.0, 1.0, 30)[:, None].repeat(2, axis=1)  # 1/3 frame per second
    adaptive = run_filter(line)
    plain = run_filter(line, OneEuroParams(beta=0.0))
    lag_adaptive = np.abs(adaptive[-10:] - line[-10:]).mean()
    lag_plain = np.abs(plain[-10:] - line[-10:]).mean()
    assert lag_adaptive < 0.5 * lag_plain
    assert lag_adaptive < 0.02


def test_missing_entries_restart_from_the_raw_value():
    state = one_euro_step(None, np.array([0.0, 0.0]), 0.0)
    state = one_euro_step(state, np.array([0.1, 0.1]), 0.1, present=np.array([True, False]))
    assert not state.valid[1]
    assert 0.0 < state.value[0] < 0.1  # smoothed
    state = one_euro_step(state, np.array([0.2, 0.9]), 0.2)
    assert state.value[1] == pytest.approx(0.9)  # came back: no pull towards stale history
    assert state.speed[1] == 0.0


def test_repeated_timestamp_does_not_divide_by_zero():
    state = one_euro_step(None, np.array([0.3]), 1.0)
    again = one_euro_step(state, np.array([0.9]), 1.0)
    assert np.isfinite(again.value).all() and again.value[0] == pytest.approx(0.3)


def person(x: float, y: float, jitter: float = 0.0, seed: int = 0) -> Pose:
    """A synthetic upright person around (x, y) in pixels; every joint found."""
    rng = np.random.default_rng(seed)
    keypoints = np.zeros((18, 3), dtype=np.float32)
    keypoints[:, 0] = x + np.linspace(-20, 20, 18) + rng.normal(0, jitter, 18)
    keypoints[:, 1] = y + np.linspace(-80, 80, 18) + rng.normal(0, jitter, 18)
    keypoints[:, 2] = 0.8
    return Pose(keypoints=keypoints, score=0.8)


def test_people_keep_their_own_tracks_when_the_order_changes():
    smoother = PoseSmoother()
    size = (640, 480)
    first = smoother.update([person(100, 240), person(500, 240)], 0.0, size)
    second = smoother.update([person(502, 240), person(98, 240)], 0.1, size)
    assert smoother.num_tracks == 2
    assert abs(second[0].keypoints[:, 0].mean() - 501) < 3  # not blended with the other person
    assert abs(second[1].keypoints[:, 0].mean() - 99) < 3
    assert first[0].keypoints[:, 2].tolist() == second[0].keypoints[:, 2].tolist()  # scores kept


def test_smoother_reduces_jitter_and_keeps_missing_joints_missing():
    smoother = PoseSmoother()
    raw, smooth = [], []
    for step in range(40):
        pose = person(320, 240, jitter=3.0, seed=step)
        keypoints = pose.keypoints.copy()
        keypoints[4] = 0  # r_wrist never found
        pose = Pose(keypoints=keypoints, score=0.8)
        (out,) = smoother.update([pose], step / FPS, (640, 480))
        raw.append(pose.keypoints[:, 0])
        smooth.append(out.keypoints[:, 0])
        assert out.keypoints[4, 2] == 0
    assert np.std(smooth[10:], axis=0)[0] < 0.6 * np.std(raw[10:], axis=0)[0]


def test_tracks_expire_and_a_jump_starts_a_new_track():
    smoother = PoseSmoother(max_age=0.5)
    smoother.update([person(100, 240)], 0.0, (640, 480))
    (far,) = smoother.update([person(500, 240)], 0.1, (640, 480))
    assert far.keypoints[:, 0].mean() == pytest.approx(500, abs=0.5)  # not pulled from 100
    assert smoother.num_tracks == 2
    smoother.update([], 1.0, (640, 480))
    assert smoother.num_tracks == 0


def test_tracker_ids_decide_who_is_who():
    smoother = PoseSmoother()
    size = (640, 480)
    smoother.update([person(100, 240), person(140, 240)], 0.0, size, ids=[7, 8])
    # The two are close; the IDs, not the distances, say that they swapped places.
    second = smoother.update([person(100, 240), person(140, 240)], 0.1, size, ids=[8, 7])
    assert smoother.num_tracks == 2
    assert abs(second[0].keypoints[:, 0].mean() - 100) > 5  # pulled towards ID 8's last place
    assert abs(second[1].keypoints[:, 0].mean() - 140) > 5
    (new,) = smoother.update([person(300, 240)], 0.2, size, ids=[9])  # a new ID: raw values
    assert abs(new.keypoints[:, 0].mean() - 300) < 1e-3
