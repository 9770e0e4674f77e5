"""Open ends of whole-clip alignment (pose.sequence.ends, dtw with OpenEnds): frames of one
clip where the other clip lacks the person may be left out, and only those."""

from __future__ import annotations

import numpy as np
import pytest

from pose.sequence import PoseSequence, compare_sequences, dtw
from pose.sequence.ends import LEFT_OUT_COST, open_ends
from pose.sequence.warping import CLOSED, OpenEnds
from tests.unit.test_sequence import brute_force_dtw, figure, movement, sequence


def test_closed_ends_are_plain_dtw():
    cost = np.random.default_rng(3).random((9, 14))
    path, total = dtw(cost, None, CLOSED)
    assert total == pytest.approx(brute_force_dtw(cost))
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (8, 13)


def test_open_ends_leave_out_the_frames_that_fit_worse_than_their_cost():
    cost = np.full((10, 14), 0.05)
    cost[:, :2] = 1.0  # the attempt's first two frames fit nothing
    cost[:, -3:] = 1.0  # nor its last three
    ends = OpenEnds(columns_start=2, columns_end=3, cost=0.12)
    path, total = dtw(cost, 0.3, ends)
    assert tuple(path[0]) == (0, 2) and tuple(path[-1]) == (9, 10)
    steps = np.diff(path, axis=0)
    assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(axis=1) >= 1).all()
    assert total == pytest.approx(cost[path[:, 0], path[:, 1]].sum() + 5 * 0.12)
    # no more than allowed: one of the last three must stay
    path, _ = dtw(cost, 0.3, OpenEnds(columns_start=2, columns_end=2, cost=0.12))
    assert tuple(path[-1]) == (9, 11)
    # frames that fit better than the cost stay, even where they may go
    path, _ = dtw(np.full((10, 14), 0.05), 0.3, ends)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (9, 13)
    # rows too (the reference's frames where the attempt lacks the person)
    path, _ = dtw(cost.T.copy(), 0.3, OpenEnds(rows_start=2, rows_end=3, cost=0.12))
    assert tuple(path[0]) == (2, 0) and tuple(path[-1]) == (10, 9)


def lost_early(points: np.ndarray, found: int) -> PoseSequence:
    """The person of ``points`` found only in the first ``found`` frames of the clip."""
    return PoseSequence(points[:found], np.arange(found), 30.0, len(points), "reference")


def test_frames_after_the_other_clip_lost_the_person_are_left_out_and_said():
    # The reference's tracker loses the person at 70 % of the clip; the attempt follows
    # them to the end, where someone else's body (arms up, legs bent) takes their place.
    frames = 60
    points = movement(np.linspace(0, 1, frames))
    attempt_points = points.copy()
    attempt_points[45:] = figure(arms=1.0, knees=1.0)
    reference = lost_early(points, 42)
    attempt = sequence(attempt_points, name="attempt")
    assert open_ends(reference, attempt, "procrustes") == OpenEnds(0, 0, 0, 18, 0.12)
    closed = compare_sequences(reference, attempt)
    opened = compare_sequences(reference, attempt, open_ends=True)
    assert closed.similarity < 93 and opened.similarity > 99
    assert opened.alignment[-1, 1] == 44 and closed.alignment[-1, 1] == 59
    assert any(note.startswith("attempt: frames") and "(15)" in note for note in opened.notes)
    assert not any("(" in note for note in closed.notes)


def test_a_bad_ending_where_both_clips_show_the_person_stays_scored():
    frames = 60
    points = movement(np.linspace(0, 1, frames))
    attempt_points = points.copy()
    attempt_points[45:] = figure(arms=1.0, knees=1.0)
    reference, attempt = sequence(points), sequence(attempt_points, name="attempt")
    assert open_ends(reference, attempt, "procrustes") == OpenEnds(0, 0, 0, 0, 0.12)
    opened = compare_sequences(reference, attempt, open_ends=True)
    assert opened.similarity == pytest.approx(compare_sequences(reference, attempt).similarity)
    assert opened.alignment[-1].tolist() == [59, 59]


def test_positions_cost_has_no_bar_so_its_ends_stay_closed():
    points = movement(np.linspace(0, 1, 30))
    assert "positions" not in LEFT_OUT_COST
    assert open_ends(lost_early(points, 20), sequence(points), "positions") == CLOSED
