"""Movement comparison on synthetic movements whose right answer is known (no model)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.match import (
    MatchError,
    _fit_similarity,
    match,
    normalized_scores,
    procrustes_distances,
)
from pose.sequence import (
    MAX_LENGTH_RATIO,
    PoseSequence,
    SequenceError,
    band,
    compare_sequences,
    cost_matrix,
    dtw,
    find_repetitions,
    person_sequence,
    segment_repetitions,
)


def figure(arms: float, knees: float = 0.0, x: float = 200.0, y: float = 100.0, size: float = 1.0):
    """A front-facing stick figure (18, 3): ``arms`` raised 0 (down) to 1 (overhead),
    ``knees`` bent 0 to 1; feet at the bottom, ``size`` 1 is about 200 px tall."""
    points = np.zeros((18, 3), dtype=np.float32)

    def put(joint, px, py):
        points[joint] = (x + size * px, y + size * py, 0.9)

    put(Joint.NOSE, 0, 0)
    put(Joint.R_EYE, -5, -5)
    put(Joint.L_EYE, 5, -5)
    put(Joint.R_EAR, -10, -2)
    put(Joint.L_EAR, 10, -2)
    put(Joint.NECK, 0, 25)
    angle = math.pi * arms  # from pointing down to pointing up
    arms_table = (
        (-1, Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST),
        (1, Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST),
    )
    for side, shoulder, elbow, wrist in arms_table:
        sx, sy = 25 * side, 25
        dx, dy = side * math.sin(angle), math.cos(angle)
        put(shoulder, sx, sy)
        put(elbow, sx + 30 * dx, sy + 30 * dy)
        put(wrist, sx + 60 * dx, sy + 60 * dy)
    bend = 0.8 * knees
    drop = 40 * (1 - math.cos(bend)) + 20 * knees
    for side, hip, knee, ankle in ((-1, Joint.R_HIP, Joint.R_KNEE, Joint.R_ANKLE),
                                   (1, Joint.L_HIP, Joint.L_KNEE, Joint.L_ANKLE)):  # fmt: skip
        hx, hy = 15 * side, 100 + drop
        put(hip, hx, hy)
        put(knee, hx + side * 45 * math.sin(bend), hy + 45 * math.cos(bend))
        put(ankle, hx, 200)
    return points


def movement(phases: np.ndarray, kind: str = "arms", **place) -> np.ndarray:
    """(T, 18, 3) keypoints of a movement at phases 0..1: ``arms`` raised and lowered,
    or a ``squat`` (knees bend and straighten, arms still)."""
    wave = np.sin(np.pi * np.asarray(phases))  # 0 -> 1 -> 0
    if kind == "arms":
        return np.stack([figure(arms=w, **place) for w in wave])
    return np.stack([figure(arms=0.0, knees=w, **place) for w in wave])


def sequence(keypoints: np.ndarray, fps: float = 30.0, name: str = "clip") -> PoseSequence:
    return PoseSequence(keypoints, np.arange(len(keypoints)), fps, len(keypoints), name)


def jitter(keypoints: np.ndarray, pixels: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = keypoints.copy()
    out[..., :2] += rng.normal(0, pixels, out[..., :2].shape)
    return out


# --------------------------------------------------------------------------- match arrays


def test_normalized_scores_equal_match_for_every_pair():
    rng = np.random.default_rng(3)
    first = movement(np.linspace(0, 1, 12))
    second = jitter(movement(np.linspace(0, 1, 12)[::-1], "squat", size=1.3), 6.0)
    second[rng.random((12, 18)) < 0.2, 2] = 0.0  # some joints missing
    similarity, distances = normalized_scores(first, second)
    for k in range(12):
        expected = match(Pose(first[k]), Pose(second[k]))
        assert similarity[k] == pytest.approx(expected.similarity, abs=1e-4)
        for item in expected.breakdown:
            assert distances[k, item.joint] == pytest.approx(item.difference, abs=1e-4)
        assert np.isnan(distances[k][second[k, :, 2] == 0]).all()


def test_normalized_scores_nan_when_too_few_joints_shared():
    first = movement(np.array([0.3]))
    second = first.copy()
    second[0, 3:, 2] = 0.0  # three joints left
    similarity, _ = normalized_scores(first, second)
    assert np.isnan(similarity[0])
    with pytest.raises(MatchError):
        match(Pose(first[0]), Pose(second[0]))


def test_procrustes_distances_are_the_closed_form_of_the_alignment():
    first = jitter(movement(np.linspace(0, 1, 7)), 3.0, seed=1)
    second = jitter(movement(np.linspace(0, 1, 9), "squat", x=400, size=0.7), 3.0, seed=2)
    second[2, :5, 2] = 0.0
    matrix = procrustes_distances(first, second)
    for i in range(7):
        for j in range(9):
            a, b = first[i], second[j]
            weights = np.sqrt(np.where((a[:, 2] > 0) & (b[:, 2] > 0), a[:, 2] * b[:, 2], 0))
            p, q, *_ = _fit_similarity(
                a[:, :2].astype(float), b[:, :2].astype(float), weights, 30.0, 0
            )
            expected = math.sqrt(float(weights @ ((p - q) ** 2).sum(axis=1)) / weights.sum())
            assert matrix[i, j] == pytest.approx(expected, abs=1e-7)


def test_procrustes_distance_ignores_position_size_and_small_tilt():
    pose = movement(np.array([0.4]))
    moved = movement(np.array([0.4]), x=900, y=40, size=2.5)
    angle = math.radians(10)
    centre = moved[0, :, :2].mean(axis=0)
    turned = moved.copy()
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    turned[0, :, :2] = (moved[0, :, :2] - centre) @ rotation.T + centre
    assert procrustes_distances(pose, turned)[0, 0] < 1e-6
    assert procrustes_distances(pose, movement(np.array([0.9])))[0, 0] > 0.3


# --------------------------------------------------------------------------- DTW


def brute_force_dtw(cost: np.ndarray) -> float:
    rows, columns = cost.shape
    total = np.full((rows + 1, columns + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, rows + 1):
        for j in range(1, columns + 1):
            total[i, j] = cost[i - 1, j - 1] + min(
                total[i - 1, j], total[i, j - 1], total[i - 1, j - 1]
            )
    return float(total[rows, columns])


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (6, 1), (7, 7), (9, 23), (23, 9)])
def test_dtw_finds_the_cheapest_path(shape):
    cost = np.random.default_rng(sum(shape)).random(shape)
    path, total = dtw(cost)
    assert total == pytest.approx(brute_force_dtw(cost))
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (shape[0] - 1, shape[1] - 1)
    steps = np.diff(path, axis=0)
    assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(axis=1) >= 1).all()
    assert total == pytest.approx(cost[path[:, 0], path[:, 1]].sum())


def test_band_keeps_the_path_near_the_diagonal_and_always_connected():
    low, high = band(100, 40, 0.1)
    centre = np.arange(100) * 39 / 99
    assert (low <= np.ceil(centre)).all() and (high >= np.floor(centre)).all()
    assert (high - low <= 2 * 10 + 1).all()
    assert (low[1:] <= high[:-1] + 1).all()
    cost = np.zeros((100, 40))
    cost[:, 39] = -0.0  # any path is optimal; the band must still reach the corner
    path, _ = dtw(np.random.default_rng(0).random((100, 40)), 0.1)
    assert tuple(path[-1]) == (99, 39)
    assert (np.abs(path[:, 1] - path[:, 0] * 39 / 99) <= 10 + 1).all()


# --------------------------------------------------------------------------- comparing


def known_warp() -> np.ndarray:
    """Attempt frame t shows reference frame warp[t]: slow start, a pause, a fast end."""
    slow = np.floor(np.arange(0, 30, 0.5)).astype(int)
    pause = np.full(20, 30)
    fast = np.arange(30, 90, 2)
    return np.concatenate([slow, pause, fast])


def test_time_warped_copy_aligns_with_the_warp_and_scores_high():
    reference = sequence(movement(np.linspace(0, 1, 90)))
    warp = known_warp()
    moved = movement(np.linspace(0, 1, 90), x=500, y=300, size=0.6)[warp]
    attempt = sequence(jitter(moved, 1.0))
    result = compare_sequences(reference, attempt)
    error = np.abs(result.alignment[:, 0] - warp[result.alignment[:, 1]])
    assert error.mean() < 1.5
    assert result.similarity > 90
    assert result.verdict == "Same pose"
    assert result.alignment[0].tolist() == [0, 0]
    assert result.alignment[-1].tolist() == [89, len(warp) - 1]


def test_different_movement_scores_clearly_lower():
    reference = sequence(movement(np.linspace(0, 1, 60)))
    same = compare_sequences(reference, sequence(jitter(movement(np.linspace(0, 1, 45)), 1.5)))
    squat = compare_sequences(
        reference, sequence(jitter(movement(np.linspace(0, 1, 45), "squat"), 1.5))
    )
    assert same.similarity - squat.similarity > 20
    worst = squat.worst[0]
    assert {joint.label for joint in worst.joints} & {"r_wrist", "l_wrist", "r_elbow", "l_elbow"}


def test_worst_moments_point_at_the_bad_frames_and_joints():
    phases = np.linspace(0, 1, 60)
    reference = sequence(movement(phases))
    attempt_points = movement(phases)
    attempt_points[25:32, Joint.R_WRIST, :2] += (0, 80)  # the right wrist drops for 7 frames
    result = compare_sequences(reference, sequence(attempt_points))
    first = result.worst[0]
    assert 25 <= first.attempt_frame < 32
    assert first.joints[0] == Joint.R_WRIST
    assert result.joint_summary()[0][0] == Joint.R_WRIST
    times = sorted(moment.reference_time for moment in result.worst)
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(times))


def test_timeline_has_the_similarity_and_the_joints_that_differ_most():
    phases = np.linspace(0, 1, 30)
    attempt = movement(phases)
    attempt[10:20, Joint.L_WRIST, :2] += (0, 90)
    result = compare_sequences(sequence(movement(phases)), sequence(attempt))
    rows = result.timeline(joints=2)
    series = [name for _, _, name in rows]
    assert series.count("similarity") == len(result.steps)
    assert series[len(result.steps)] == "l_wrist"
    assert len(set(series)) == 3
    low = [value for t, value, name in rows if name == "l_wrist" and 0.4 <= t <= 0.6]
    assert max(low) < 50


def test_result_is_json_ready_with_the_documented_fields():
    reference = sequence(movement(np.linspace(0, 1, 20)))
    payload = compare_sequences(reference, reference).to_dict()
    assert payload["similarity"] == pytest.approx(100.0)
    assert payload["alignment"] == [[k, k] for k in range(20)]
    assert {"frames", "joints", "similarity", "times"} <= set(payload["worst"][0])
    assert len(payload["timeline"]) == 20
    import json

    json.dumps(payload)


@pytest.mark.parametrize("method", ["procrustes", "normalized", "positions"])
def test_every_alignment_method_follows_a_plain_slowdown(method):
    reference = sequence(movement(np.linspace(0, 1, 30)))
    attempt = sequence(movement(np.linspace(0, 1, 30))[np.repeat(np.arange(30), 2)])
    result = compare_sequences(reference, attempt, method=method, window=None)
    assert np.abs(result.alignment[:, 0] - result.alignment[:, 1] // 2).mean() < 0.6


def test_unknown_method_is_a_value_error():
    points = movement(np.linspace(0, 1, 5))
    with pytest.raises(ValueError, match="Unknown alignment method"):
        cost_matrix(points, points, "fourier")


# --------------------------------------------------------------------------- bad input


def people_per_frame(keypoints: np.ndarray, present: np.ndarray) -> list[list[Pose]]:
    return [[Pose(k)] if here else [] for k, here in zip(keypoints, present, strict=True)]


def test_nobody_in_the_clip_is_a_clear_error():
    with pytest.raises(SequenceError, match=r"No person found in any of the 40 frames of a\.mp4"):
        person_sequence([[] for _ in range(40)], 30.0, "a.mp4")


def test_person_lost_for_most_of_the_clip_is_a_clear_error():
    points = movement(np.linspace(0, 1, 40))
    present = np.zeros(40, dtype=bool)
    present[:12] = True
    with pytest.raises(SequenceError, match=r"found in only 12 of the 40 frames .* \(30 %\)"):
        person_sequence(people_per_frame(points, present), 30.0, "b.mp4")


def test_frames_without_the_person_are_left_out_and_said():
    points = movement(np.linspace(0, 1, 40))
    present = np.ones(40, dtype=bool)
    present[10:16] = False
    seq = person_sequence(people_per_frame(points, present), 30.0, "c.mp4")
    assert len(seq) == 34 and seq.total == 40 and 10 not in seq.frames
    result = compare_sequences(sequence(points), seq)
    assert not set(range(10, 16)) & set(result.alignment[:, 1].tolist())
    assert any("missing in 6 of 40 frames" in note for note in result.notes)


def test_person_number_picks_by_size_in_each_frame():
    small = movement(np.linspace(0, 1, 10), size=0.5)
    large = movement(np.linspace(0, 1, 10), "squat", x=600)
    people = [[Pose(s), Pose(b)] for s, b in zip(small, large, strict=True)]
    assert np.allclose(person_sequence(people, 30.0, person=1).keypoints, large)
    assert np.allclose(person_sequence(people, 30.0, person=2).keypoints, small)
    with pytest.raises(SequenceError, match="No person number 3"):
        person_sequence(people, 30.0, person=3)


def test_with_tracking_ids_the_sequence_follows_one_track():
    walker = movement(np.linspace(0, 1, 12), size=1.0)
    passer = movement(np.linspace(0, 1, 12), "squat", x=600, size=0.6)
    people, ids = [], []
    for t in range(12):
        # The passer comes closer (larger) than the walker in frames 4-7 only.
        near = (
            movement(np.array([t / 11]), "squat", x=600, size=1.3)[0] if 4 <= t < 8 else passer[t]
        )
        people.append([Pose(near), Pose(walker[t])])
        ids.append((7, 3))
    by_rank = person_sequence(people, 30.0)
    assert not np.allclose(by_rank.keypoints[4], walker[4])  # per frame: jumps to the passer
    tracked = person_sequence(people, 30.0, ids=ids)
    assert tracked.track == 3 and np.allclose(tracked.keypoints, walker)
    assert person_sequence(people, 30.0, person=2, ids=ids).track == 7
    assert tracked.summary()["id"] == 3
    with pytest.raises(SequenceError, match="No person number 3"):
        person_sequence(people, 30.0, person=3, ids=ids)


def test_one_clip_far_longer_than_the_other_is_refused_with_advice():
    short = sequence(movement(np.linspace(0, 1, 20)))
    long = sequence(movement(np.linspace(0, 1, 20 * int(MAX_LENGTH_RATIO) + 20)), name="long.mp4")
    with pytest.raises(SequenceError, match=r"long\.mp4 .* lasts 5\.0 times .* count repetitions"):
        compare_sequences(short, long)


def test_different_frame_rates_align_by_time_and_say_so():
    phases = np.linspace(0, 1, 60)
    reference = PoseSequence(movement(phases), np.arange(60), 60.0, 60, "60 fps")
    attempt = PoseSequence(movement(phases[::4]), np.arange(15), 15.0, 15, "15 fps")
    result = compare_sequences(reference, attempt)
    assert result.similarity > 95
    assert np.abs(result.alignment[:, 0] - 4 * result.alignment[:, 1]).mean() < 2.5
    assert any("different frame rates" in note for note in result.notes)


def test_segment_needs_frames_and_order():
    seq = sequence(movement(np.linspace(0, 1, 30)))
    assert len(seq.segment(0.2, 0.5)) == 10
    with pytest.raises(SequenceError, match="must end after it starts"):
        seq.segment(0.5, 0.2)
    with pytest.raises(SequenceError, match="has 0 frames"):
        seq.segment(5.0, 6.0)


def test_sequence_checks_its_arrays():
    with pytest.raises(ValueError, match="increasing"):
        PoseSequence(movement(np.linspace(0, 1, 3)), np.array([0, 2, 1]), 30.0, 3)
    with pytest.raises(ValueError, match="fps"):
        PoseSequence(movement(np.linspace(0, 1, 3)), np.arange(3), 0.0, 3)


# --------------------------------------------------------------------------- repetitions


def reps_clip(speeds, weak: int | None = None, rest: int = 15, seed: int = 0):
    """Squat repetitions at the given speeds (1 = the reference's 30 frames), standing
    still between; copy ``weak`` with the arms half raised. Returns keypoints, spans."""
    rng = np.random.default_rng(seed)
    stand = movement(np.zeros(rest), "squat")
    pieces, spans, position = [stand], [], rest
    for number, speed in enumerate(speeds):
        length = round(30 / speed)
        points = movement(np.linspace(0, 1, length), "squat")
        if number == weak:
            points = np.stack(
                [figure(arms=0.35, knees=k) for k in np.sin(np.pi * np.linspace(0, 1, length))]
            )
        spans.append((position, position + length - 1))
        pieces += [points, stand]
        position += length + rest
    return jitter(np.concatenate(pieces), 1.0, seed=int(rng.integers(100))), spans


@pytest.mark.parametrize("count", [1, 3, 6])
def test_repetitions_are_counted_and_placed(count):
    reference = sequence(movement(np.linspace(0, 1, 30), "squat"), name="one squat")
    speeds = np.linspace(0.7, 1.4, count)
    points, spans = reps_clip(speeds)
    result = find_repetitions(reference, sequence(points, name="squats"))
    assert result.count == count
    for rep, (start, end) in zip(result.reps, spans, strict=True):
        assert abs(rep.start - start) <= 3 and abs(rep.end - end) <= 3
        assert rep.score > 85


def test_weakest_repetition_is_flagged():
    reference = sequence(movement(np.linspace(0, 1, 30), "squat"))
    points, _ = reps_clip([1.0, 0.9, 1.1, 1.0], weak=2)
    result = find_repetitions(reference, sequence(points))
    assert result.count == 4
    flagged = [n for n, rep in enumerate(result.reps) if rep.weakest]
    assert flagged == [2]
    payload = result.to_dict()
    assert payload["count"] == 4 and payload["weakest"] == 2
    assert {"start", "end", "score"} <= set(payload["reps"][0])


def test_standing_still_or_another_movement_is_no_repetition():
    reference = sequence(movement(np.linspace(0, 1, 30), "squat"))
    still = sequence(jitter(movement(np.zeros(90), "squat"), 1.0))
    assert find_repetitions(reference, still).count == 0
    arms = sequence(movement(np.tile(np.linspace(0, 1, 30), 3)))
    assert find_repetitions(reference, arms).count == 0


def test_attempt_too_short_for_a_repetition_is_an_error():
    reference = sequence(movement(np.linspace(0, 1, 40), "squat"), name="ref")
    with pytest.raises(SequenceError, match="too short to hold a repetition"):
        find_repetitions(reference, sequence(movement(np.linspace(0, 1, 10), "squat")))


def test_segmentation_takes_whole_repetitions_not_halves():
    cost = np.ones((10, 40))
    for start in (5, 25):  # two perfect diagonal matches
        cost[np.arange(10), start + np.arange(10)] = 0.0
    reps = segment_repetitions(cost, rest=0.5)
    assert [(a, b) for a, b, _ in reps] == [(5, 14), (25, 34)]
    assert segment_repetitions(np.ones((10, 40)), rest=0.5) == []
