"""One person followed through a clip, on sequences built in code (no model): pieces of a
body and broken tracks re-joined, the default person, the weakest repetition only beyond
the noise, joint angles continuous over time."""

from types import SimpleNamespace

import numpy as np
import pytest

from pose.body.angles import ANGLE_NAMES, angle_series
from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.sequence import SequenceError
from pose.sequence.follow import follow_person, parse_track_ids, prominence
from pose.sequence.repetitions import weakest_repetition
from pose.video.rejoin import RejoinParams, are_fragments, fragment_groups, rejoin_ids
from tests.unit.test_track import person

FPS = 30.0
ARM = (Joint.R_ELBOW, Joint.R_WRIST)


def walker(frames: int, start_x: float, speed: float, height: float = 200.0) -> list:
    """(18, 3) keypoints per frame of someone walking right at ``speed`` heights a second."""
    return [person(start_x + speed * height * t / FPS, 50, height) for t in range(frames)]


def test_an_arm_found_apart_is_a_piece_of_its_body():
    whole = person(300, 50, 200)
    body = whole.copy()
    body[list(ARM)] = 0.0
    arm = np.zeros_like(whole)
    arm[list(ARM)] = whole[list(ARM)]
    params = RejoinParams()
    assert are_fragments(body, arm, params)
    assert fragment_groups([body, arm], params) == [0, 0]
    # someone standing next to the body is not a piece of it, nor is an arm far away
    assert not are_fragments(body, person(420, 50, 200), params)
    far = arm.copy()
    far[list(ARM), 0] += 300
    assert not are_fragments(body, far, params)
    # an arm of someone much taller is not this body's
    tall_arm = np.zeros_like(whole)
    tall_arm[[Joint.R_SHOULDER, *ARM]] = person(300, 50, 400)[[Joint.R_SHOULDER, *ARM]]
    assert fragment_groups([body, tall_arm], params) == [0, 1]


def test_pieces_with_the_tracker_ids_of_two_people_become_one():
    whole = walker(20, 100, 0.5)
    frames, ids = [], []
    for t, keypoints in enumerate(whole):
        if 8 <= t < 12:  # the decoder splits the arm off; the tracker gives it ID 1
            body, arm = keypoints.copy(), np.zeros_like(keypoints)
            body[list(ARM)] = 0.0
            arm[list(ARM)] = keypoints[list(ARM)]
            frames.append([arm, body])
            ids.append([1, 2])
        else:
            frames.append([keypoints])
            ids.append([1])
    joined = rejoin_ids(frames, ids, [t / FPS for t in range(20)])
    assert {n for row in joined for n in row} == {1}


def test_an_id_given_later_to_a_piece_of_someone_else_does_not_merge_two_people():
    # Person A (ID 1) is split once (frames 2-3: the tracker puts ID 5 on A's body and
    # keeps 1 on the arm); ID 5 waits, lost, and lands on an arm of person B (ID 3) a
    # second later. The two stretches of ID 5 are pieces of two different bodies.
    a, b = walker(60, 100, 0.2), walker(60, 600, 0.2)
    frames, ids = [], []
    for t in range(60):
        if t in (2, 3) or 40 <= t < 44:
            whole, whole_id, piece_id = (a[t], 1, 5) if t < 10 else (b[t], 3, 5)
            body, arm = whole.copy(), np.zeros_like(whole)
            body[list(ARM)] = 0.0
            arm[list(ARM)] = whole[list(ARM)]
            if t < 10:  # A's body gets 5, its arm keeps 1
                pair, pair_ids = [body, arm], [piece_id, whole_id]
                frames.append([*pair, b[t]])
                ids.append([*pair_ids, 3])
            else:  # B's arm gets 5
                frames.append([a[t], body, arm])
                ids.append([1, whole_id, piece_id])
        else:
            frames.append([a[t], b[t]])
            ids.append([1, 3])
    joined = rejoin_ids(frames, ids, [t / FPS for t in range(60)])
    for row, found in zip(joined, frames, strict=True):
        xs = [float(np.mean(p[p[:, 2] > 0, 0])) for p in found]
        for number, x in zip(row, xs, strict=True):
            assert number == (1 if x < 400 else 3)  # A stays 1, B stays 3


def test_a_track_broken_by_an_occlusion_is_rejoined_and_keeps_its_lowest_id():
    # ID 1 walks right, is hidden for 0.6 s (18 frames) and comes back as ID 4 where its
    # walk leads; ID 2 stands far away all along; ID 3 is someone else entering far off.
    walk = walker(60, 100, 0.5)
    stand = person(1000, 50, 200)
    frames, ids, times = [], [], []
    for t in range(60):
        people, numbers = [stand], [2]
        if t < 20:
            people, numbers = [walk[t], stand], [1, 2]
        elif t >= 38:
            people, numbers = [walk[t], stand], [4, 2]
        if t >= 45:
            people, numbers = [*people, person(1600, 50, 200)], [*numbers, 3]
        frames.append(people)
        ids.append(numbers)
        times.append(t / FPS)
    joined = rejoin_ids(frames, ids, times)
    walker_ids = {row[0] for row, people in zip(joined, frames, strict=True) if len(people) > 1}
    assert walker_ids == {1}
    assert {row[-1] for row in joined[45:]} == {3}  # the newcomer far off stays apart
    assert {row[1] for row in joined[:20]} == {2}


def test_a_body_that_comes_back_elsewhere_or_another_size_is_not_rejoined():
    walk = walker(20, 100, 0.5)
    frames = [[k] for k in walk] + [[person(900, 50, 200)] for _ in range(10)]
    frames += [[person(300, 50, 300)] for _ in range(10)]  # near, but a head taller
    ids = [[1]] * 20 + [[2]] * 10 + [[3]] * 10
    times = [t / FPS for t in range(20)] + [(25 + t) / FPS for t in range(20)]
    joined = rejoin_ids(frames, ids, times)
    assert [row[0] for row in joined] == [1] * 20 + [2] * 10 + [3] * 10


def test_tracks_seen_together_are_never_joined():
    a, b = walker(10, 100, 0.2), walker(10, 160, 0.2)
    frames = [[x, y] for x, y in zip(a, b, strict=True)]
    joined = rejoin_ids(frames, [[1, 2]] * 10, [t / FPS for t in range(10)])
    assert all(row == [1, 2] for row in joined)


def test_the_default_person_is_present_longest_and_largest():
    # ID 1 is in all 60 frames; ID 2, twice as large, walks through 12 of them.
    stay = walker(60, 100, 0.1)
    people, ids = [], []
    for t in range(60):
        if 20 <= t < 32:
            people.append([Pose(stay[t]), Pose(person(600 + 10 * t, 20, 400))])
            ids.append([1, 2])
        else:
            people.append([Pose(stay[t])])
            ids.append([1])
    points = [[p.keypoints for p in found] for found in people]
    assert prominence(points, ids)[1] > prominence(points, ids)[2]
    sequence = follow_person(people, ids, FPS, range(60), 60, "clip")
    assert sequence.track == 1 and len(sequence) == 60
    # the same person however large the passer-by, who is never in the sequence
    assert np.allclose(sequence.keypoints[25], stay[25])
    picked = follow_person(people, ids, FPS, range(60), 60, "clip", track=2, min_coverage=0.1)
    assert picked.track == 2 and list(picked.frames) == list(range(20, 32))
    with pytest.raises(SequenceError, match="No person with tracking ID 7 in clip; its IDs: 1, 2"):
        follow_person(people, ids, FPS, range(60), 60, "clip", track=7)
    with pytest.raises(SequenceError, match="ID 2"):  # 12 of 60 frames: too few
        follow_person(people, ids, FPS, range(60), 60, "clip", track=2)


def test_track_ids_as_typed():
    assert parse_track_ids("") == (None, None)
    assert parse_track_ids(None) == (None, None)
    assert parse_track_ids(" 3 ") == (3, 3)
    assert parse_track_ids("3, 5") == (3, 5)
    assert parse_track_ids(",5") == (None, 5)
    for bad in ("x", "0", "1,2,3", "-2", "1.5", ","):
        with pytest.raises(ValueError):
            parse_track_ids(bad)


def _result(score: float, rng: np.random.Generator, spread: float = 6.0, frames: int = 60):
    """A stand-in repetition result: per-pair similarities around ``score``."""
    steps = np.clip(score + rng.normal(0, spread, frames), 0, 100)
    steps += score - steps.mean()
    return SimpleNamespace(similarity=float(steps.mean()), step_similarity=steps)


def test_repetitions_within_the_noise_are_not_called_weakest():
    rng = np.random.default_rng(0)
    # three copies of one movement measured 94 / 90 / 90 (the case): no weakest
    assert weakest_repetition([_result(s, rng) for s in (94, 90, 90)], 50.0) is None
    assert weakest_repetition([_result(s, rng) for s in (91, 90, 92)], 50.0) is None
    # one repetition clearly off is called weakest
    assert weakest_repetition([_result(s, rng) for s in (92, 70, 91)], 50.0) == 1
    # a difference of 5 points counts only when the measurement is steady
    assert weakest_repetition([_result(s, rng, 1.0) for s in (92, 86, 91)], 50.0) == 1
    assert weakest_repetition([_result(s, rng, 30.0, 20) for s in (92, 86, 91)], 50.0) is None
    assert weakest_repetition([_result(80, rng)], 50.0) is None  # one repetition: none


def test_angles_over_time_leave_out_unsure_joints_and_one_frame_flips():
    frames = 40
    keypoints = np.repeat(person(300, 50, 200)[None], frames, axis=0)
    elbow, shoulder = keypoints[0, Joint.R_ELBOW, :2], keypoints[0, Joint.R_SHOULDER, :2]
    forearm = np.linalg.norm(keypoints[0, Joint.R_WRIST, :2] - elbow)
    bend = np.linspace(0.0, np.pi / 2, frames)  # the forearm folds 90 degrees over the clip
    down = (elbow - shoulder) / np.linalg.norm(elbow - shoulder)
    for t, angle in enumerate(bend):
        turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        keypoints[t, Joint.R_WRIST, :2] = elbow + forearm * (turn @ down)
    # misplaced for one frame: the elbow "folds" shut and opens again
    keypoints[15, Joint.R_WRIST, :2] = shoulder + np.array([2.0, 2.0])
    keypoints[25, Joint.R_WRIST, 2] = 0.05  # unsure
    series = angle_series(keypoints, np.arange(frames) / FPS)
    column = series[:, ANGLE_NAMES.index("r_elbow")]
    assert series.shape == (frames, len(ANGLE_NAMES))
    assert np.isnan(column[15]) and np.isnan(column[25])
    kept = np.flatnonzero(np.isfinite(column))
    assert len(kept) == frames - 2
    assert np.all((column[kept] >= 0) & (column[kept] <= 180))
    assert np.abs(np.diff(column[kept])).max() < 10  # no jump left between kept values
    assert column[0] == pytest.approx(180, abs=12) and column[-1] == pytest.approx(90, abs=12)
    # a real fast movement over several frames stays: only isolated flips are left out
    assert np.isfinite(series[:, ANGLE_NAMES.index("l_elbow")]).all()
